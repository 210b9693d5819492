import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError, createBaseApp, ensureRequestId, finishApp, type Logger, type Readiness } from '@chat/service-kit';
import type { Express, RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { limitedBody } from './body-limit.js';
import { ChatNodes } from './chat-nodes.js';
import { clientIpResolver, setForwardedHeaders } from './client-ip.js';
import { contentSecurityPolicy, uiHandlers } from './ui.js';
import { registerUpstreamChecks } from './upstream-health.js';
import { UpstreamProxy, rejectUpgrade, type UpstreamName } from './upstream-proxy.js';

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
  trustProxy: string[];
}

export interface Gateway {
  app: Express;
  /** For the http server's `upgrade` event: Socket.IO WebSockets go to a chat node. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Refuse new upgrades and close the open ones (clients reconnect elsewhere). */
  closeUpgrades(): void;
  /** Release upstream connections; after the http server has drained. */
  close(): void;
}

const SOCKET_IO_PATH = '/socket.io/';

/**
 * The public origin: the UI, `/auth/*` → user-service, `/messages/*` → message-service,
 * `/socket.io` → chat-service (polling and WebSocket), paths unchanged. Upstream `/metrics`
 * and `/ready` are not reachable from here; `/auth/health` and `/messages/health` map to the
 * upstreams' liveness.
 */
export function createApp(deps: GatewayDeps): Gateway {
  const { log } = deps;
  const proxy = new UpstreamProxy({ log, metrics: deps.metrics, connectTimeoutMs: deps.connectTimeoutMs });
  const chat = new ChatNodes(deps.chatServiceUrls);
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
      opts: { path?: string; timeoutMs?: number } = {},
    ): RequestHandler =>
    (req, res) => {
      const ip = clientIp(req);
      setForwardedHeaders(req, ip);
      proxy.web(req, res, {
        upstream,
        url: pick(ip),
        timeoutMs: opts.timeoutMs ?? deps.upstreamTimeoutMs,
        body: limitedBody(req, deps.maxBodyBytes),
        ...(opts.path ? { path: opts.path } : {}),
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
  });
  app.use(contentSecurityPolicy);
  app.use(refuseDotSegments);
  app.get('/auth/health', forward('user-service', toUsers, { path: '/health' }));
  app.get('/messages/health', forward('message-service', toMessages, { path: '/health' }));
  app.all('/auth{/*rest}', forward('user-service', toUsers));
  app.all('/messages{/*rest}', forward('message-service', toMessages));
  app.all(
    '/socket.io{/*rest}',
    forward('chat-service', (ip) => chat.forPolling(ip), { timeoutMs: deps.socketPollTimeoutMs }),
  );
  app.get('/{*path}', ...uiHandlers(deps.staticDir));
  finishApp(app, log);

  const upgraded = new Set<Duplex>();
  let draining = false;

  return {
    app,
    handleUpgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      const reqId = ensureRequestId(req);
      const refusal = draining
        ? new AppError('UNAVAILABLE', 'shutting down')
        : isSocketIoPath(req.url)
          ? null
          : new AppError('NOT_FOUND', 'no WebSocket here');
      if (refusal) {
        log.info({ reqId, url: req.url, status: refusal.status }, 'websocket refused');
        return rejectUpgrade(socket, refusal);
      }
      const ip = clientIp(req);
      setForwardedHeaders(req, ip);
      const node = chat.forUpgrade(req, ip);
      const started = Date.now();
      upgraded.add(socket);
      socket.once('close', () => {
        upgraded.delete(socket);
        log.info({ reqId, url: req.url, upstream: node, ms: Date.now() - started }, 'websocket closed');
      });
      proxy.ws(req, socket, head, { url: node, timeoutMs: deps.upstreamTimeoutMs });
    },
    closeUpgrades() {
      draining = true;
      for (const socket of upgraded) socket.destroy();
    },
    close() {
      proxy.close();
    },
  };
}

function isSocketIoPath(url: string | undefined): boolean {
  return new URL(url ?? '/', 'http://gateway').pathname.startsWith(SOCKET_IO_PATH);
}

/** `/auth/../metrics` and friends never reach an upstream, whatever it would make of them. */
const refuseDotSegments: RequestHandler = (req, _res, next) => {
  if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(req.path)) throw new AppError('INVALID', 'path must not contain dot segments');
  next();
};
