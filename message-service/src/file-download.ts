import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { isInlineType } from './content-type-sniff.js';
import type { ByteRange, FileStore, StoredFile } from './file-store.js';

/** A stored file never renders as a page of this origin: no script, no plugins, no requests, a unique origin. */
export const FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox";

/**
 * The one range of a `Range: bytes=...` header: `'none'` to serve the whole file (no header,
 * another unit, several ranges — RFC 9110 lets a server ignore those), `'unsatisfiable'` for
 * a range outside the file or a malformed one (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'none' | 'unsatisfiable' {
  if (header === undefined) return 'none';
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return header.trim().startsWith('bytes=') && header.includes(',') ? 'none' : 'unsatisfiable';
  const [, from, to] = m;
  if (from === '' && to === '') return 'unsatisfiable';
  if (from === '') {
    // The last n bytes.
    const n = Number(to);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** `inline` only for images, PDF and plain text; the name as RFC 6266 / RFC 5987 `filename*`, with an ASCII fallback. */
export function contentDisposition(file: Pick<StoredFile, 'name' | 'contentType'>): string {
  const kind = isInlineType(file.contentType) ? 'inline' : 'attachment';
  const ascii = file.name.replace(/[^\x20-\x7E]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(file.name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Sends the file (or its requested range) with its stored type, length, a strong ETag (a
 * file never changes under its id) and the headers that keep it from being taken for a page.
 */
export async function sendFile(
  req: IncomingMessage,
  res: Response,
  store: FileStore,
  file: StoredFile,
  cacheControl: string,
): Promise<void> {
  const etag = `"${file.id}"`;
  res.setHeader('Content-Security-Policy', FILE_CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', cacheControl);
  if (req.headers['if-none-match'] === etag) return void res.status(304).end();

  // If-Range naming another version asks for the whole file; ours never changes, so only our ETag matches.
  const ifRange = req.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, file.size) : 'none';
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${file.size}`);
    res.status(416).json({ error: { code: 'INVALID', message: `range not satisfiable (size ${file.size})` } });
    return;
  }
  res.setHeader('Content-Type', file.contentType);
  res.setHeader('Content-Disposition', contentDisposition(file));
  if (range !== 'none') {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
  }
  const length = range === 'none' ? file.size : range.end - range.start + 1;
  res.setHeader('Content-Length', length);
  if (req.method === 'HEAD' || length === 0) return void res.end();
  const bytes = store.openRead(file.id, range === 'none' ? undefined : range);
  try {
    await pipeline(bytes, res);
  } catch {
    // Headers are gone: the client sees a cut-off body (Content-Length tells it), nothing else to answer.
    res.destroy();
  }
}
