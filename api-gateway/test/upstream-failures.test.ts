import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../user-service/test/harness.js';
import { deadUrl, startEchoUpstream, startGateway, type RunningGateway } from './harness.js';

let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
let slow: Awaited<ReturnType<typeof startEchoUpstream>>;
let gw: RunningGateway;

beforeAll(async () => {
  echo = await startEchoUpstream();
  slow = await startEchoUpstream(5_000);
  gw = await startGateway({
    userServiceUrl: echo.url,
    messageServiceUrl: slow.url,
    upstreamTimeoutMs: 300,
    maxBodyBytes: 4_096,
  });
});
afterAll(async () => {
  await gw?.close();
  await echo?.close();
  await slow?.close();
});

describe('upstream failures answer JSON, quickly', () => {
  it('a stopped upstream answers 503 UPSTREAM_UNAVAILABLE in well under a second', async () => {
    const stopped = await startGateway({ userServiceUrl: await deadUrl() });
    try {
      for (const path of ['/auth/me', '/auth/health', '/socket.io/?EIO=4&transport=polling']) {
        const started = performance.now();
        const res = await call(`${stopped.url}${path}`);
        const ms = performance.now() - started;
        expect(res.status, path).toBe(503);
        expect(res.headers.get('content-type')).toMatch(/application\/json/);
        expect(res.body.error?.code).toBe('UPSTREAM_UNAVAILABLE');
        expect(ms, path).toBeLessThan(1_000);
      }
    } finally {
      await stopped.close();
    }
  });

  it('a slow upstream answers 504 UPSTREAM_TIMEOUT after UPSTREAM_TIMEOUT_MS', async () => {
    const started = performance.now();
    const res = await call(`${gw.url}/messages/history/general`);
    const ms = performance.now() - started;
    expect(res.status).toBe(504);
    expect(res.body.error?.code).toBe('UPSTREAM_TIMEOUT');
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(2_000);
  });

  it('records upstream latency by upstream and outcome, and requests by route and status', async () => {
    await call(`${gw.url}/auth/me`);
    const metrics = await (await fetch(`${gw.operatorUrl}/metrics`)).text();
    const line = (prefix: string, ...labels: string[]) =>
      metrics.split('\n').find((l) => l.startsWith(prefix) && labels.every((label) => l.includes(label)));
    expect(line('gateway_upstream_duration_seconds_count', 'upstream="user-service"', 'outcome="response"')).toMatch(
      / [1-9]\d*$/,
    );
    expect(line('gateway_upstream_duration_seconds_count', 'upstream="message-service"', 'outcome="timeout"')).toMatch(
      / [1-9]\d*$/,
    );
    expect(line('http_requests_total', 'route="/messages{/*rest}"', 'status="504"')).toMatch(/ [1-9]\d*$/);
    expect(line('http_requests_total', 'route="/auth{/*rest}"', 'status="200"')).toMatch(/ [1-9]\d*$/);
  });
});

describe('graceful shutdown', () => {
  it('finishes a request in flight, then stops promptly and refuses new connections', async () => {
    const upstream = await startEchoUpstream(300);
    const gateway = await startGateway({ userServiceUrl: upstream.url });
    try {
      const inFlight = call(`${gateway.url}/auth/me`);
      await expect.poll(() => upstream.received.length, { interval: 10, timeout: 2_000 }).toBe(1);
      const closing = performance.now();
      const closed = gateway.close();
      expect((await inFlight).status).toBe(200);
      await closed;
      // Not held until the client's keep-alive connection times out.
      expect(performance.now() - closing).toBeLessThan(2_000);
      await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});

describe('what the gateway passes upstream', () => {
  it('passes a well-formed x-request-id through, echoes it and logs it', async () => {
    const res = await call(`${gw.url}/auth/me`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-abc.123');
    expect(res.body.headers).toMatchObject({ 'x-request-id': 'trace-abc.123' });
    expect(gw.logs.some((l) => (l.req as { id?: string } | undefined)?.id === 'trace-abc.123')).toBe(true);
  });

  it('mints an x-request-id when there is none or it is malformed', async () => {
    const headerSets: Record<string, string>[] = [{}, { 'x-request-id': 'bad id with spaces' }];
    for (const headers of headerSets) {
      const res = await call(`${gw.url}/auth/me`, { headers });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect((res.body.headers as Record<string, string>)['x-request-id']).toBe(id);
    }
  });

  it('writes one access-log line per request', async () => {
    const before = gw.logs.length;
    await call(`${gw.url}/auth/something`, { headers: { 'x-request-id': 'one-line-check' } });
    const lines = gw.logs.slice(before).filter((l) => (l.req as { id?: string } | undefined)?.id === 'one-line-check');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
  });

  it('sets X-Forwarded-For to the client address, replacing a spoofed one', async () => {
    const res = await call(`${gw.url}/auth/me`, {
      headers: { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6' },
    });
    const headers = res.body.headers as Record<string, string>;
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers.forwarded).toBeUndefined();
  });

  it('forwards method, path, query and body unchanged', async () => {
    const res = await call(`${gw.url}/auth/login?a=1`, { body: { username: 'x', password: 'y' } });
    expect(res.body).toMatchObject({ method: 'POST', url: '/auth/login?a=1', body: '{"username":"x","password":"y"}' });
  });

  it('refuses a body over the limit with 413, declared or chunked', async () => {
    const big = 'x'.repeat(5_000);
    const declared = await call(`${gw.url}/auth/register`, { rawBody: big });
    expect(declared.status).toBe(413);
    expect(declared.body.error?.code).toBe('PAYLOAD_TOO_LARGE');

    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        `${gw.url}/auth/register`,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write('y'.repeat(1_000));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(echo.received.some((r) => r.body.includes('yyyy'))).toBe(false);
    // The half-sent request is dropped upstream too, not left waiting for the rest of its body.
    await expect.poll(() => echo.openRequests(), { interval: 20, timeout: 2_000 }).toBe(0);
  });

  it('adds security headers and no CORS headers', async () => {
    const res = await fetch(`${gw.url}/auth/me`, { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    await res.body?.cancel();
  });
});
