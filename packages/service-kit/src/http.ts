import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { AppError, isServerFault, toAppError } from './errors.js';
import { healthRouter, livenessRouter, type Readiness } from './health.js';
import type { Logger } from './logger.js';
import { httpMetricsMiddleware } from './metrics.js';

export const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accept a well-formed incoming `x-request-id` or mint one, and put it on the request headers. */
export function ensureRequestId(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
  req.headers[REQUEST_ID_HEADER] = id;
  return id;
}

/** `ensureRequestId`, echoed on the response. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const id = ensureRequestId(req);
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** Not access-logged: polled all the time by monitoring. */
const UNLOGGED_PATHS = new Set(['/metrics', '/health']);

/**
 * The request id (`requestId`), and one access-log line per request once it is answered or
 * aborted: `req` {id, method, url}, `res` {statusCode}, `responseTime` (ms), msg `request
 * completed` / `request aborted` at info, `request errored` at error for a 5xx. The lines
 * pino-http wrote, without its per-request child logger and the properties it put on every
 * req/res (together ~30 µs a request in each service on the cached history path).
 */
function accessLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestId(req, res);
    const { method, url } = req;
    if (!UNLOGGED_PATHS.has(url)) {
      const started = Date.now();
      // 'close' comes after 'finish' for an answered request, alone for an aborted one.
      res.once('close', () => {
        const { statusCode } = res;
        const level = statusCode >= 500 ? 'error' : 'info';
        if (!log.isLevelEnabled(level)) return;
        const msg =
          level === 'error' ? 'request errored' : res.writableFinished ? 'request completed' : 'request aborted';
        log[level]({ req: { id, method, url }, res: { statusCode }, responseTime: Date.now() - started }, msg);
      });
    }
    next();
  };
}

/** Headers every JSON API answer carries (the gateway adds a CSP for the UI). */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  next();
};

export interface BaseAppOptions {
  service: string;
  log: Logger;
  readiness: Readiness;
  metrics: Registry;
  /** Largest JSON body accepted; larger bodies get 413 PAYLOAD_TOO_LARGE. */
  bodyLimit?: string;
  /** Parse JSON bodies (default true); a proxy passes bodies through unread. */
  parseJson?: boolean;
  /**
   * Serve `/ready` and `/metrics` on this app (default true). The gateway, the public edge,
   * serves them on its operator port instead (`createOperatorApp`).
   */
  operatorRoutes?: boolean;
}

/**
 * An express app with what every service shares: request ids, one access-log line per
 * request (`accessLog`), security headers, request metrics, a JSON body parser with a size limit, and
 * `/health`, `/ready`, `/metrics` (the last two unless `operatorRoutes: false`). Add routes,
 * then call `finishApp(app, log)`.
 */
export function createBaseApp(opts: BaseAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple'); // no nested objects from `?a[b]=` (operator injection)
  app.use(accessLog(opts.log));
  app.use(securityHeaders);
  app.use(httpMetricsMiddleware(opts.metrics));
  app.use(
    opts.operatorRoutes === false
      ? livenessRouter(opts.service)
      : healthRouter(opts.service, opts.readiness, opts.metrics),
  );
  if (opts.parseJson !== false) app.use(express.json({ limit: opts.bodyLimit ?? '16kb', strict: true }));
  return app;
}

/** `/health`, `/ready` and `/metrics` alone, for a port only operators reach. */
export function createOperatorApp(opts: Pick<BaseAppOptions, 'service' | 'log' | 'readiness' | 'metrics'>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.use(healthRouter(opts.service, opts.readiness, opts.metrics));
  return finishApp(app, opts.log);
}

/** 404 for unknown routes and the central error handler, last in the chain. */
export function finishApp(app: Express, log: Logger): Express {
  app.use((req, _res, next) => next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  app.use(httpErrorHandler(log));
  return app;
}

/** Maps anything thrown in a route to the contract's `{error:{code, message}}`. */
export function httpErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const appErr = fromExpressError(err) ?? toAppError(err);
    if (isServerFault(appErr)) log.error({ err, reqId: req.headers[REQUEST_ID_HEADER] }, 'request failed');
    if (appErr.retryAfterSec !== undefined) res.setHeader('Retry-After', String(appErr.retryAfterSec));
    res.status(appErr.status).json(appErr.toBody());
  };
}

/** What express and its body parser throw for bad input, as the client's error (400/413), not ours. */
function fromExpressError(err: unknown): AppError | null {
  // A route parameter that is not valid percent-encoding (`/history/%F0%28`): the router's decode fails.
  if (err instanceof URIError) return new AppError('INVALID', 'the path is not valid percent-encoded UTF-8');
  if (typeof err !== 'object' || err === null || !('type' in err)) return null;
  switch ((err as { type: unknown }).type) {
    case 'entity.parse.failed':
      return new AppError('INVALID_JSON', 'request body is not valid JSON');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', 'request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('INVALID', 'unsupported body encoding');
    default:
      return null;
  }
}

/** Listen and resolve with the bound port (port 0 picks a free one, as tests do). */
export function listen(server: Server, port: number, host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stop accepting and wait for open requests; idle keep-alive sockets are closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    // A connection whose last request finishes while we wait turns into an idle keep-alive
    // socket that would hold close() until its keep-alive timeout: sweep those as they appear.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Answer on a raw socket (an upgrade, or a request node could not parse) with the contract's
 * JSON error and close it. `status` overrides the code's own where HTTP has a better one.
 */
export function endWithError(socket: Duplex, err: AppError, status = err.status): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify(err.toBody());
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * An http server whose listeners cannot be made to throw by what a client sends: a request the
 * listener throws on answers 500 INTERNAL (logged), one node cannot parse (malformed request
 * line, bad header, headers too large) answers 400 INVALID (431 for oversized headers) as JSON
 * instead of node's bare answer, and a broken client socket is just closed. A target that is
 * not a path (absolute form `http://host/x`, `*`; we are no proxy) and an HTTP/1.1 request
 * without Host answer 400 INVALID before the listener sees them (express would answer HTML).
 */
export function createHttpServer(listener: RequestListener, log: Logger): Server {
  // Host is checked below, so its absence gets the JSON answer too.
  const server = http.createServer({ requireHostHeader: false }, (req, res) => {
    try {
      const refusal = refuseRequestLine(req);
      if (refusal) return void sendError(res, refusal);
      listener(req, res);
    } catch (err) {
      log.error({ err, reqId: req.headers[REQUEST_ID_HEADER] }, 'request listener threw');
      if (res.headersSent) return void res.destroy();
      sendError(res, new AppError('INTERNAL', 'internal error'));
    }
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket));
  return server;
}

function refuseRequestLine(req: IncomingMessage): AppError | null {
  if (!req.url?.startsWith('/')) return new AppError('INVALID', 'the request target must be a path');
  if (req.httpVersion === '1.1' && req.headers.host === undefined)
    return new AppError('INVALID', 'Host header missing');
  return null;
}

function sendError(res: ServerResponse, err: AppError): void {
  const body = JSON.stringify(err.toBody());
  res.writeHead(err.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A response already on its way (pipelining) cannot be followed by another one.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (err.code === 'ECONNRESET' || inFlight) return void socket.destroy();
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return endWithError(socket, new AppError('INVALID', 'request headers are too large'), 431);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return endWithError(socket, new AppError('INVALID', 'request was not received in time'), 408);
    default:
      return endWithError(socket, new AppError('INVALID', 'malformed HTTP request'));
  }
}
