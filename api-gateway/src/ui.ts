import path from 'node:path';
import express, { type RequestHandler } from 'express';

/**
 * For the UI: scripts only from this origin (no inline script, no eval), the socket to this
 * origin over ws/wss, no framing, no plugins.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
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

/**
 * The built single-page app from `staticDir`: files as they are (hashed assets cached for
 * good), and for any other GET that asks for HTML, `index.html` so client-side routes work
 * on reload; `/` itself is always the app. Without a build, a placeholder page. Other requests
 * that do not want HTML fall through (to the JSON 404).
 */
export function uiHandlers(staticDir: string): RequestHandler[] {
  const index = path.join(staticDir, 'index.html');
  const files = express.static(staticDir, {
    index: false,
    fallthrough: true,
    setHeaders: (res, file) => {
      const hashedAsset = file.includes(`${path.sep}assets${path.sep}`);
      res.setHeader('Cache-Control', hashedAsset ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const spaFallback: RequestHandler = (req, res, next) => {
    if (req.path !== '/' && req.accepts(['json', 'html']) !== 'html') return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index, (err) => {
      if (!err) return;
      if (res.headersSent) return void res.destroy();
      res.type('html').send(PLACEHOLDER_HTML);
    });
  };
  return [files, spaFallback];
}
