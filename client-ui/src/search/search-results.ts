import type { Message } from '@chat/contracts';

/**
 * Message search results as the search dialog shows them: grouped by room (rooms in the order
 * of their newest hit, hits newest first as the server answers), each with an excerpt of its
 * text around the first match and that match marked, as text runs (never HTML).
 */
export interface SearchHit {
  message: Message;
  excerpt: HighlightRun[];
}
export interface HighlightRun {
  text: string;
  match: boolean;
}
export interface SearchGroup {
  roomId: string;
  hits: SearchHit[];
}

/** Characters of context kept before the first match in an excerpt. */
const LEAD = 40;
/** Longest excerpt. */
const EXCERPT_MAX = 160;

export function groupSearchResults(messages: readonly Message[], query: string): SearchGroup[] {
  const groups = new Map<string, SearchHit[]>();
  for (const message of messages) {
    const hits = groups.get(message.roomId) ?? [];
    hits.push({ message, excerpt: highlight(excerptAround(message.text, query), query) });
    groups.set(message.roomId, hits);
  }
  return [...groups].map(([roomId, hits]) => ({ roomId, hits }));
}

/** The part of `text` around the first match (case-insensitive), with "…" where it was cut. */
export function excerptAround(text: string, query: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const at = flat.toLowerCase().indexOf(query.trim().toLowerCase());
  const start = at <= LEAD ? 0 : at - LEAD;
  const end = Math.min(flat.length, start + EXCERPT_MAX);
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}

/** Every case-insensitive occurrence of `query` in `text` marked as a match. */
export function highlight(text: string, query: string): HighlightRun[] {
  const q = query.trim().toLowerCase();
  if (!q) return [{ text, match: false }];
  const lower = text.toLowerCase();
  const runs: HighlightRun[] = [];
  let from = 0;
  // Lowercasing can change a string's length (e.g. "İ"): then only the plain text is shown.
  if (lower.length !== text.length) return [{ text, match: false }];
  for (let at = lower.indexOf(q); at !== -1; at = lower.indexOf(q, at + q.length)) {
    if (at > from) runs.push({ text: text.slice(from, at), match: false });
    runs.push({ text: text.slice(at, at + q.length), match: true });
    from = at + q.length;
  }
  if (from < text.length) runs.push({ text: text.slice(from), match: false });
  return runs;
}
