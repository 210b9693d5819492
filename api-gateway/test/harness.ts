import http from 'node:http';
import { Writable } from 'node:stream';
import {
  Readiness,
  closeServer,
  createHttpServer,
  createLogger,
  createMetricsRegistry,
  listen,
} from '@chat/service-kit';
import { createApp, type Gateway, type GatewayDeps } from '../src/app.js';

export interface RunningGateway {
  url: string;
  /** The operator port (the gateway's own /ready and /metrics). */
  operatorUrl: string;
  gateway: Gateway;
  server: http.Server;
  /** Every JSON log line the gateway wrote. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A URL nothing listens on: bind port 0, note it, close. */
export async function deadUrl(): Promise<string> {
  const server = http.createServer();
  const port = await listen(server, 0, '127.0.0.1');
  await closeServer(server);
  return `http://127.0.0.1:${port}`;
}

/** The gateway on port 0 in front of the given upstreams (unset ones point at a closed port). */
export async function startGateway(over: Partial<GatewayDeps> = {}): Promise<RunningGateway> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const nowhere = await deadUrl();
  const log = createLogger('api-gateway', 'info', sink);
  const gateway = createApp({
    log,
    readiness: new Readiness(),
    metrics: createMetricsRegistry('api-gateway', false),
    userServiceUrl: nowhere,
    messageServiceUrl: nowhere,
    chatServiceUrls: [nowhere],
    staticDir: '/nonexistent/client-ui/dist',
    upstreamTimeoutMs: 10_000,
    connectTimeoutMs: 800,
    socketPollTimeoutMs: 60_000,
    maxBodyBytes: 1_048_576,
    maxUploadBytes: 25 * 1024 * 1024,
    uploadTimeoutMs: 600_000,
    trustProxy: [],
    chatProbeIntervalMs: 0,
    ...over,
  });
  const server = createHttpServer(gateway.app, log);
  server.on('upgrade', gateway.handleUpgrade);
  const operatorServer = createHttpServer(gateway.operatorApp, log);
  const port = await listen(server, 0, '127.0.0.1');
  const operatorPort = await listen(operatorServer, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    operatorUrl: `http://127.0.0.1:${operatorPort}`,
    gateway,
    server,
    logs,
    close: async () => {
      const drained = closeServer(server);
      gateway.closeUpgrades();
      await drained;
      gateway.close();
      await closeServer(operatorServer);
    },
  };
}

export interface Echoed {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** An upstream that answers every request with what it received, after `delayMs`. */
export async function startEchoUpstream(
  delayMs = 0,
): Promise<{ url: string; received: Echoed[]; openRequests(): number; close(): Promise<void> }> {
  const received: Echoed[] = [];
  let open = 0;
  const server = http.createServer((req, res) => {
    open++;
    res.once('close', () => open--);
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const echoed = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers as Record<string, string>,
        body,
      };
      received.push(echoed);
      const timer = setTimeout(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(echoed)),
        delayMs,
      );
      res.on('close', () => clearTimeout(timer));
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    openRequests: () => open,
    close: async () => {
      server.closeAllConnections();
      await closeServer(server);
    },
  };
}

/** GET with the path sent exactly as given (fetch would resolve `..` before sending). */
export function rawGet(baseUrl: string, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}/`, { path, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject).end();
  });
}
