import net from 'node:net';
import { Router } from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readiness } from '../src/health.js';
import { closeServer, createBaseApp, createHttpServer, createOperatorApp, finishApp, listen } from '../src/http.js';
import { createMetricsRegistry } from '../src/metrics.js';

const log = pino({ level: 'silent' });
const readiness = new Readiness();
const metrics = createMetricsRegistry('kit-hostile', false);
const app = createBaseApp({ service: 'kit-hostile', log, readiness, metrics });
const items = Router();
items.get('/items/:id', (req, res) => {
  res.json({ id: req.params.id });
});
app.use('/shop', items);
app.get('/boom', () => {
  throw new Error('internals');
});
finishApp(app, log);

// Something express itself would let escape: the guard must still answer.
const server = createHttpServer((req, res) => (req.url === '/listener-throws' ? fail() : app(req, res)), log);
function fail(): never {
  throw new Error('listener bug');
}
let port = 0;
let base = '';

beforeAll(async () => {
  port = await listen(server, 0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => closeServer(server));

/** Send raw bytes; what came back when the server closed (or stopped answering). */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), 3_000);
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

function parse(response: string): { status: number; body: unknown } {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), body: body ? JSON.parse(body) : null };
}

describe('hostile requests get the contract error, never a crash or HTML', () => {
  it('bad percent-encoding in a route parameter is 400 INVALID, not 500', async () => {
    const res = await fetch(`${base}/shop/items/%F0%28%8C%BC`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: 'INVALID', message: 'the path is not valid percent-encoded UTF-8' },
    });
    expect((await fetch(`${base}/shop/items/%E2%82%AC`)).status).toBe(200);
  });

  it.each([
    ['absolute form', 'GET http://[::1/shop/items/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400],
    ['asterisk form', 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400],
    ['no Host', 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
    ['a malformed request line', 'GET /health HTTP/1.1 trailing\r\nHost: x\r\n\r\n', 400],
    ['a bad header', 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n', 400],
    ['headers too large', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(64 * 1024)}\r\n\r\n`, 431],
    ['a listener that throws', 'GET /listener-throws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 500],
  ])('%s answers JSON', async (_what, bytes, status) => {
    const res = parse(await raw(bytes));
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error: { code: status === 500 ? 'INTERNAL' : 'INVALID' } });
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('labels metrics by route template: case and spelling variants mint no label', async () => {
    for (const path of [
      '/shop/items/1',
      '/SHOP/items/2',
      '/Shop/ITEMS/3',
      '/shop/items/4/',
      '/shop//items/5',
      '/nope/6',
    ]) {
      await (await fetch(`${base}${path}`)).text();
    }
    const text = await (await fetch(`${base}/metrics`)).text();
    const routes = new Set([...text.matchAll(/^http_requests_total\{[^}]*route="([^"]*)"/gm)].map((m) => m[1]));
    expect([...routes].sort()).toEqual(['/health', '/shop/items/:id', 'unmatched']);
  });
});

describe('operator routes', () => {
  it('a public app without them serves /health only; the operator app serves all three', async () => {
    const edgeMetrics = createMetricsRegistry('edge', false);
    const edge = createBaseApp({ service: 'edge', log, readiness, metrics: edgeMetrics, operatorRoutes: false });
    finishApp(edge, log);
    const ops = createOperatorApp({ service: 'edge', log, readiness, metrics: edgeMetrics });
    const servers = [createHttpServer(edge, log), createHttpServer(ops, log)];
    try {
      const [edgeUrl, opsUrl] = await Promise.all(
        servers.map(async (s) => `http://127.0.0.1:${await listen(s, 0, '127.0.0.1')}`),
      );
      expect((await fetch(`${edgeUrl}/health`)).status).toBe(200);
      expect((await fetch(`${edgeUrl}/ready`)).status).toBe(404);
      expect((await fetch(`${edgeUrl}/metrics`)).status).toBe(404);
      expect((await fetch(`${opsUrl}/health`)).status).toBe(200);
      expect((await fetch(`${opsUrl}/ready`)).status).toBe(200);
      expect(await (await fetch(`${opsUrl}/metrics`)).text()).toContain('http_requests_total');
    } finally {
      await Promise.all(servers.map((s) => closeServer(s)));
    }
  });
});
