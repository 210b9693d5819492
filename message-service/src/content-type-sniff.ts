/** Bytes of a file's start that `sniffContentType` looks at (the upload route reads this many first). */
export const SNIFF_BYTES = 512;

const SIGNATURES: { type: string; matches: (b: Buffer) => boolean }[] = [
  { type: 'image/png', matches: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: 'image/jpeg', matches: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  {
    type: 'image/gif',
    matches: (b) =>
      b.subarray(0, 6).toString('latin1') === 'GIF87a' || b.subarray(0, 6).toString('latin1') === 'GIF89a',
  },
  {
    type: 'image/webp',
    matches: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
  { type: 'application/pdf', matches: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
];

/** Markup a browser would render as a page (HTML, SVG, XML) if it were ever taken for one. */
const MARKUP = /^\s*<|<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|\?xml)\b/i;

/**
 * The content type a file is stored and served with, judged from its first bytes only — the
 * client's type and the name's extension are never trusted (a `.png` holding HTML is no image):
 * PNG, JPEG, GIF, WebP and PDF by their signatures; `text/plain; charset=utf-8` for valid UTF-8
 * without control characters that does not look like markup; anything else
 * `application/octet-stream` (served as a download).
 */
export function sniffContentType(head: Buffer): string {
  const known = SIGNATURES.find((s) => s.matches(head));
  if (known) return known.type;
  if (head.length > 0 && isPlainUtf8Text(head)) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

/** Types served `Content-Disposition: inline`; everything else is an attachment (never HTML or SVG inline). */
export function isInlineType(contentType: string): boolean {
  return SIGNATURES.some((s) => s.type === contentType) || contentType === 'text/plain; charset=utf-8';
}

function startsWith(b: Buffer, bytes: number[]): boolean {
  return b.length >= bytes.length && bytes.every((v, i) => b[i] === v);
}

function isPlainUtf8Text(head: Buffer): boolean {
  // A multi-byte character cut at the end of the sniffed window is not a fault.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(trimPartialUtf8(head));
  if (text.includes('\uFFFD')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000E-\u001F\u007F]/.test(text)) return false;
  return !MARKUP.test(text);
}

/** `head` without a UTF-8 sequence cut off at its end (at most 3 bytes). */
function trimPartialUtf8(head: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, head.length); back++) {
    const byte = head[head.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? head.subarray(0, head.length - back) : head;
  }
  return head;
}
