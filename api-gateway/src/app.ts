import type { IncomingMessage } from 'node:http';
import { UPLOAD_MULTIPART_OVERHEAD_BYTES } from '@chat/contracts';
import type { Duplex } from 'node:stream';
import {
  AppError,
  createBaseApp,
  createOperatorApp,
  endWithError,
  ensureRequestId,
  finishApp,
  toAppError,
  type Logger,
  type Readiness,
} from '@chat/service-kit';
import type { Express, RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { limitedBody } from './body-limit.js';
import { ChatNodes } from './chat-nodes.js';
import { clientIpResolver, setForwardedHeaders } from './client-ip.js';
import { contentSecurityPolicy, uiHandlers } from './ui.js';
import { isOperatorOnly, rawPath, refuseNonPublicPaths } from './public-paths.js';
import { registerUpstreamChecks } from './upstream-health.js';
import { UpstreamProxy, type UpstreamName } from './upstream-proxy.js';

export const SERVICE_NAME = 'api-gateway';

export interface GatewayDeps {
  log: Logger;
  readiness: Readiness;
  metrics: Registry;
  userServiceUrl: string;
  messageServiceUrl: string;
  chatServiceUrls: string[];
  staticDir: string;
  upstreamTimeoutMs: number;
  connectTimeoutMs: number;
  socketPollTimeoutMs: number;
  maxBodyBytes: number;
  /** `/files` bodies: MAX_UPLOAD_BYTES plus the multipart framing. */
  maxUploadBytes: number;
  /** `/files` requests, upload included, may take this long before 504. */
  uploadTimeoutMs: number;
  trustProxy: string[];
  /** How often each chat node's /health is probed for routing (0: only passive marking). */
  chatProbeIntervalMs: number;
}

export interface Gateway {
  /** The public port's app. */
  app: Express;
  /** The operator port's app: the gateway's own `/health`, `/ready` and `/metrics`. */
  operatorApp: Express;
  /** For the http server's `upgrade` event: Socket.IO WebSockets go to a chat node. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Refuse new upgrades and close the open ones (clients reconnect elsewhere). */
  closeUpgrades(): void;
  /** Release upstream connections and stop probing; after the http server has drained. */
  close(): void;
}

const SOCKET_IO_PATH = '/socket.io/';

/**
 * The public origin: the UI, `/auth/*` → user-service, `/messages/*` and `/files*` → message-service,
 * `/socket.io` → chat-service (polling and WebSocket), paths unchanged. Operator paths —
 * every `/metrics` and `/ready` (the gateway's own are on `operatorApp`) and `/internal/*` —
 * are not reachable from here in any spelling (`public-paths.ts`); `/auth/health` and
 * `/messages/health` map to the upstreams' liveness. No request can make a listener throw:
 * bad input answers the contract's JSON error.
 */
export function createApp(deps: GatewayDeps): Gateway {
  const { log } = deps;
  const proxy = new UpstreamProxy({ log, metrics: deps.metrics, connectTimeoutMs: deps.connectTimeoutMs });
  const chat = new ChatNodes(deps.chatServiceUrls, {
    log,
    probeIntervalMs: deps.chatProbeIntervalMs,
    probeTimeoutMs: 900,
  });
  const clientIp = clientIpResolver(deps.trustProxy);
  registerUpstreamChecks(deps.readiness, {
    'user-service': deps.userServiceUrl,
    'message-service': deps.messageServiceUrl,
    ...Object.fromEntries(chat.all.map((url, i) => [`chat-service-${i + 1}`, url])),
  });

  const forward =
    (
      upstream: UpstreamName,
      pick: (ip: string) => string,
      opts: { path?: string; timeoutMs?: number; maxBodyBytes?: number } = {},
    ): RequestHandler =>
    (req, res) => {
      const body = limitedBody(req, opts.maxBodyBytes ?? deps.maxBodyBytes, () => res.setHeader('Connection', 'close'));
      const ip = clientIp(req);
      setForwardedHeaders(req, ip);
      const url = pick(ip);
      proxy.web(req, res, {
        upstream,
        url,
        timeoutMs: opts.timeoutMs ?? deps.upstreamTimeoutMs,
        body,
        ...(opts.path ? { path: opts.path } : {}),
        ...(upstream === 'chat-service' ? { onUnreachable: () => chat.markDown(url) } : {}),
      });
    };
  const toUsers = () => deps.userServiceUrl;
  const toMessages = () => deps.messageServiceUrl;

  const app = createBaseApp({
    service: SERVICE_NAME,
    log,
    readiness: deps.readiness,
    metrics: deps.metrics,
    parseJson: false,
    operatorRoutes: false,
  });
  app.use(refuseNonPublicPaths);
  app.use(contentSecurityPolicy);
  app.get('/auth/health', forward('user-service', toUsers, { path: '/health' }));
  app.get('/messages/health', forward('message-service', toMessages, { path: '/health' }));
  app.all('/auth{/*rest}', forward('user-service', toUsers));
  app.all('/messages{/*rest}', forward('message-service', toMessages));
  // Uploads and downloads, streamed both ways (no body parser here: parseJson is off).
  app.all(
    '/files{/*rest}',
    forward('message-service', toMessages, {
      timeoutMs: deps.uploadTimeoutMs,
      maxBodyBytes: deps.maxUploadBytes + UPLOAD_MULTIPART_OVERHEAD_BYTES,
    }),
  );
  app.all(
    '/socket.io{/*rest}',
    forward('chat-service', (ip) => chat.forPolling(ip), { timeoutMs: deps.socketPollTimeoutMs }),
  );
  app.get('/{*path}', ...uiHandlers(deps.staticDir));
  finishApp(app, log);

  const operatorApp = createOperatorApp({
    service: SERVICE_NAME,
    log,
    readiness: deps.readiness,
    metrics: deps.metrics,
  });

  const upgraded = new Set<Duplex>();
  let draining = false;

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, reqId: string) => {
    const target = req.url ?? '';
    if (draining) throw new AppError('UNAVAILABLE', 'shutting down');
    if (isOperatorOnly(target) || !rawPath(target).startsWith(SOCKET_IO_PATH))
      throw new AppError('NOT_FOUND', 'no WebSocket here');
    const ip = clientIp(req);
    setForwardedHeaders(req, ip);
    const node = chat.forUpgrade(req, ip);
    const started = Date.now();
    upgraded.add(socket);
    socket.once('close', () => {
      upgraded.delete(socket);
      log.info({ reqId, url: target, upstream: node, ms: Date.now() - started }, 'websocket closed');
    });
    proxy.ws(req, socket, head, {
      url: node,
      timeoutMs: deps.upstreamTimeoutMs,
      onUnreachable: () => chat.markDown(node),
    });
  };

  return {
    app,
    operatorApp,
    handleUpgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      const reqId = ensureRequestId(req);
      try {
        upgrade(req, socket, head, reqId);
      } catch (err) {
        const refusal = toAppError(err);
        if (refusal.status >= 500 && refusal.code !== 'UNAVAILABLE')
          log.error({ err, reqId }, 'websocket upgrade failed');
        else log.info({ reqId, url: req.url, status: refusal.status }, 'websocket refused');
        endWithError(socket, refusal);
      }
    },
    closeUpgrades() {
      draining = true;
      for (const socket of upgraded) socket.destroy();
    },
    close() {
      chat.close();
      proxy.close();
    },
  };
}
