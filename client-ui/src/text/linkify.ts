/**
 * Split message text into plain runs and http(s) links, for rendering as React text nodes
 * and anchors (never as HTML). Only `http:` and `https:` become links: a candidate starts at
 * "http://" or "https://" and must parse as such a URL, so `javascript:`, `data:` and every
 * other scheme stay text.
 */
export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/** A scheme not glued to a preceding letter or digit, then everything up to whitespace or a delimiter. */
const CANDIDATE = /(?<![\p{L}\p{N}])https?:\/\/[^\s<>"`/\\][^\s<>"`]*/giu;

/** Sentence punctuation that ends a URL rather than belonging to it when it comes last. */
const TRAILING = new Set(['.', ',', ':', ';', '!', '?', "'", '"', '…', '’', '”', '»', '*', '_', '~']);
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

const count = (s: string, ch: string) => s.split(ch).length - 1;

/** Drop trailing punctuation; a closing bracket stays only when it balances one inside the URL. */
function trimEnd(candidate: string): string {
  let s = candidate;
  for (;;) {
    const last = s.at(-1)!;
    const opener = CLOSERS[last];
    if (TRAILING.has(last) || (opener !== undefined && count(s, last) > count(s, opener))) s = s.slice(0, -1);
    else return s;
  }
}

/** The URL's normalised href when it is a usable http(s) address with a host; otherwise undefined. */
function httpHref(text: string): string | undefined {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let plainFrom = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const url = trimEnd(match[0]);
    const href = httpHref(url);
    if (href === undefined) continue;
    if (match.index > plainFrom) parts.push({ kind: 'text', text: text.slice(plainFrom, match.index) });
    parts.push({ kind: 'link', text: url, href });
    plainFrom = match.index + url.length;
  }
  if (plainFrom < text.length) parts.push({ kind: 'text', text: text.slice(plainFrom) });
  return parts;
}
