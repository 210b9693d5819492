import { createServer } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { Readiness } from '../src/health.js';
import { closeServer, createBaseApp, finishApp, listen } from '../src/http.js';
import { createLogger } from '../src/logger.js';
import { createMetricsRegistry } from '../src/metrics.js';

const log = pino({ level: 'silent' });
const readiness = new Readiness();
let depUp = true;
readiness.register('dep', () => depUp);
const app = createBaseApp({
  service: 'kit-test',
  log,
  readiness,
  metrics: createMetricsRegistry('kit-test', false),
  bodyLimit: '1kb',
});
app.post('/echo', (req, res) => {
  res.json(req.body);
});
app.get('/limited', () => {
  throw new AppError('RATE_LIMITED', 'slow down', { retryAfterSec: 7 });
});
app.get('/crash', () => {
  throw new Error('secret internals');
});
finishApp(app, log);
const server = createServer(app);
let base = '';

beforeAll(async () => {
  base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
});
afterAll(() => closeServer(server));

const post = (body: string) =>
  fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('base app', () => {
  it('maps malformed JSON, oversized bodies and unknown routes to the error shape', async () => {
    const bad = await post('{"a":');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'INVALID_JSON', message: 'request body is not valid JSON' } });
    const big = await post(JSON.stringify({ a: 'x'.repeat(2000) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('hides unexpected errors and sets Retry-After for rate limits', async () => {
    const crash = await fetch(`${base}/crash`);
    expect(crash.status).toBe(500);
    expect(await crash.text()).not.toContain('secret');
    const limited = await fetch(`${base}/limited`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
  });

  it('accepts or mints a request id and echoes it', async () => {
    const given = await fetch(`${base}/health`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const minted = await fetch(`${base}/health`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(minted.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports readiness from registered checks and serves metrics', async () => {
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    depUp = false;
    const down = await fetch(`${base}/ready`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', service: 'kit-test', checks: { dep: false } });
    // What /ready says is a series too (the ServiceNotReady alert reads it).
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^service_ready\{service="kit-test"\} 0$/m);
    depUp = true;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^service_ready\{service="kit-test"\} 1$/m);
    expect(metrics).toContain('http_requests_total{method="GET",route="/limited",status="429"');
    // Raw paths never become labels (unbounded cardinality): unknown routes share one label.
    expect(metrics).toContain('http_requests_total{method="GET",route="unmatched",status="404"');
    expect(metrics).not.toContain('/nope');
  });
});

describe('access log', () => {
  const lines: Record<string, unknown>[] = [];
  const lineLog = createLogger('kit-log-test', 'info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  const logged = createBaseApp({
    service: 'kit-log-test',
    log: lineLog,
    readiness,
    metrics: createMetricsRegistry('kit-log-test', false),
  });
  logged.get('/ok', (_req, res) => {
    res.json({ ok: true });
  });
  logged.get('/crash', () => {
    throw new Error('secret internals');
  });
  let hung: () => void = () => undefined;
  const hangs = new Promise<void>((resolve) => (hung = resolve));
  logged.get('/hang', () => hung()); // never answers: the client gives up
  finishApp(logged, lineLog);
  const loggedServer = createServer(logged);
  let url = '';
  beforeAll(async () => {
    url = `http://127.0.0.1:${await listen(loggedServer, 0, '127.0.0.1')}`;
  });
  afterAll(() => {
    loggedServer.closeAllConnections();
    return closeServer(loggedServer);
  });
  const linesOf = (id: string) => lines.filter((l) => (l.req as { id?: string } | undefined)?.id === id);
  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  }

  it('writes one line per answered request, with its id, method, url, status and time', async () => {
    const res = await fetch(`${url}/ok?x=1`, { headers: { 'x-request-id': 'log-ok', authorization: 'Bearer t0ken' } });
    await res.text();
    await until(() => linesOf('log-ok').length > 0);
    const [line, ...more] = linesOf('log-ok');
    expect(more).toEqual([]);
    expect(line).toEqual({
      level: 'info',
      time: expect.any(String),
      service: 'kit-log-test',
      host: expect.any(String),
      pid: process.pid,
      req: { id: 'log-ok', method: 'GET', url: '/ok?x=1' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      msg: 'request completed',
    });
    expect(JSON.stringify(lines)).not.toContain('t0ken');
  });

  it('logs a 5xx at error level, an aborted request as aborted, and never /health or /metrics', async () => {
    await (await fetch(`${url}/crash`, { headers: { 'x-request-id': 'log-crash' } })).text();
    const aborting = new AbortController();
    const pending = fetch(`${url}/hang`, { headers: { 'x-request-id': 'log-hang' }, signal: aborting.signal });
    await hangs;
    aborting.abort();
    await expect(pending).rejects.toThrow();
    for (const path of ['/health', '/metrics']) {
      await (await fetch(`${url}${path}`, { headers: { 'x-request-id': 'log-quiet' } })).text();
    }
    await until(() => linesOf('log-crash').length > 0 && linesOf('log-hang').length > 0);
    expect(linesOf('log-crash')).toEqual([
      expect.objectContaining({ level: 'error', res: { statusCode: 500 }, msg: 'request errored' }),
    ]);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', reqId: 'log-crash', msg: 'request failed' }),
    );
    expect(linesOf('log-hang')).toEqual([expect.objectContaining({ level: 'info', msg: 'request aborted' })]);
    expect(linesOf('log-quiet')).toEqual([]);
  });
});
