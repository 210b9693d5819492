import path from 'node:path';
import { AppError } from '@chat/service-kit';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { PrecompressedFiles, negotiateEncoding } from './precompressed.js';

/**
 * For the UI: scripts only from this origin (no inline script, no eval), connections (fetch and
 * the socket, whose ws/wss form of this origin 'self' covers in CSP Level 3) only to this
 * origin, no framing, no plugins. Images also from `blob:`: the UI shows attachments as object
 * URLs of bytes it fetched with the token (an `<img src>` cannot send the Authorization header).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const contentSecurityPolicy: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
};

/** Shown until client-ui is built, so the origin answers something sensible from the start. */
export const PLACEHOLDER_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Chat</title></head>
<body>
<h1>Chat</h1>
<p>The web client is not built yet. Build it with <code>npm run build -w client-ui</code>; the API is up.</p>
</body>
</html>
`;

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The built single-page app from `staticDir`: files as they are, text files brotli- or
 * gzip-compressed as the client accepts (`PrecompressedFiles`); hashed files under /assets
 * cached for good, everything else revalidated (`no-cache`). For any other GET that asks for
 * HTML, `index.html` so client-side routes work on reload; `/` itself is always the app.
 * Without a build, a placeholder page. Other requests that do not want HTML fall through (to
 * the JSON 404); source maps, should a build contain any, answer that 404 too.
 */
export function uiHandlers(staticDir: string, precompressed = new PrecompressedFiles()): RequestHandler[] {
  const root = path.resolve(staticDir);
  const index = path.join(root, 'index.html');
  void precompressed.warm(root);

  const sendCompressed = async (req: Request, res: Response, file: string): Promise<boolean> => {
    const variants = await precompressed.get(file);
    if (!variants) return false;
    res.vary('Accept-Encoding'); // identity answers too: a cache must not give them to brotli clients
    const encoding = negotiateEncoding(req.headers['accept-encoding']);
    if (!encoding) return false;
    const body = variants[encoding];
    res.type(path.extname(file));
    res.setHeader('Content-Encoding', encoding);
    res.setHeader('Cache-Control', cacheControl(root, file));
    res.setHeader('ETag', `"${variants.hash}-${encoding}"`);
    res.setHeader('Last-Modified', variants.mtime.toUTCString());
    if (req.fresh) {
      res.status(304).end();
      return true;
    }
    res.setHeader('Content-Length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };

  const compressedFiles: RequestHandler = async (req, res, next) => {
    const file = (req.method === 'GET' || req.method === 'HEAD') && fileUnder(root, req.path);
    if (file && (await sendCompressed(req, res, file))) return;
    next();
  };
  const noSourceMaps: RequestHandler = (req, _res, next) => {
    if (req.path.toLowerCase().endsWith('.map')) throw new AppError('NOT_FOUND', 'not found');
    next();
  };
  const files = express.static(root, {
    index: false,
    fallthrough: true,
    setHeaders: (res, file) => res.setHeader('Cache-Control', cacheControl(root, file)),
  });
  const spaFallback: RequestHandler = async (req, res, next) => {
    if (req.path !== '/' && req.accepts(['json', 'html']) !== 'html') return next();
    if (await sendCompressed(req, res, index)) return;
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index, (err) => {
      if (!err) return;
      if (res.headersSent) return void res.destroy();
      res.type('html').send(PLACEHOLDER_HTML);
    });
  };
  return [noSourceMaps, compressedFiles, files, spaFallback];
}

/** Hashed files (under `assets/` of the build) never change; anything else is revalidated. */
function cacheControl(root: string, file: string): string {
  return path.relative(root, file).startsWith(`assets${path.sep}`) ? IMMUTABLE : 'no-cache';
}

/** The file a request path names inside `root`, or null (outside it, a dotfile, undecodable). */
function fileUnder(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.split('/').some((segment) => segment.startsWith('.'))) return null;
  const file = path.join(root, decoded);
  return file.startsWith(`${root}${path.sep}`) ? file : null;
}
