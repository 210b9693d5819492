import http from 'node:http';
import { freePort, useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatNode, type ChatNode } from '../../client-ui/e2e/stack.js';
import { startService as startMessageService, type RunningService } from '../../message-service/test/helpers.js';
import { startUserService, type RunningUserService } from '../../user-service/test/harness.js';
import { startEchoUpstream, startGateway, type RunningGateway } from './harness.js';

/**
 * What the public port exposes, with the real services behind the gateway (an echo upstream
 * cannot show it): each of them does serve /metrics and /ready — to whoever reaches it.
 */

const iso = useIsolation('gateway-real-upstreams');
let users: RunningUserService;
let messages: RunningService;
let chat: ChatNode;
let gw: RunningGateway;

beforeAll(async () => {
  users = await startUserService(iso());
  messages = await startMessageService(iso());
  const chatPort = await freePort();
  gw = await startGateway({
    userServiceUrl: users.url,
    messageServiceUrl: messages.url,
    chatServiceUrls: [`http://127.0.0.1:${chatPort}`],
  });
  chat = await startChatNode(iso(), { port: chatPort, allowedOrigin: gw.url, messageServiceUrl: messages.url });
});
afterAll(async () => {
  await gw?.close();
  await chat?.stop();
  await messages?.close();
  await users?.close();
});

/** A request with the target sent byte for byte (fetch would normalise it first). */
function raw(base: string, method: string, target: string): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/`, { method, path: target, headers: { accept: 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', text }));
    });
    req.on('error', reject).end(method === 'POST' ? '{}' : undefined);
  });
}

const OPERATOR_TARGETS = [
  '/messages/metrics',
  '/messages/ready',
  '/MESSAGES/METRICS',
  '/Messages/Ready',
  '/messages/metrics/',
  '/messages/metrics?x=1',
  '//messages/metrics',
  '/messages//ready',
  '/messages%2Fmetrics',
  '/messages%2fready',
  '/messages/%6Detrics',
  '/messages/./metrics',
  '/messages/%2E/ready',
  '/auth/metrics',
  '/auth/ready',
  '/AUTH/Metrics',
  '/auth/../metrics',
  '/metrics',
  '/ready',
  '/METRICS',
  '/socket.io/metrics',
  '/socket.io/../ready',
];
const INTERNAL_TARGETS = [
  '/internal/publish',
  '/internal/notify',
  '/INTERNAL/publish',
  '//internal/publish',
  '/internal%2Fpublish',
  '/socket.io/../internal/publish',
  '/socket.io/%2e%2e/internal/publish',
  '/messages/internal/publish',
  '/auth/internal/publish',
  '/socket.io/internal/publish',
];

/** Route labels message-service's own metrics carry (read on its own port). */
async function upstreamRouteLabels(): Promise<string[]> {
  const text = await (await fetch(`${messages.url}/metrics`)).text();
  return [...new Set([...text.matchAll(/^http_requests_total\{[^}]*route="([^"]*)"/gm)].map((m) => m[1]!))].sort();
}

describe('the real services behind the gateway', () => {
  it('do serve /metrics and /ready, in any case, when reached directly (what the gateway must hide)', async () => {
    for (const target of ['/messages/metrics', '/MESSAGES/METRICS']) {
      expect((await raw(messages.url, 'GET', target)).text, target).toContain('# HELP');
    }
    expect((await raw(messages.url, 'GET', '/messages/ready')).text).toContain('"checks"');
    expect((await raw(users.url, 'GET', '/metrics')).text).toContain('# HELP');
  });

  it('/auth/health and /messages/health are reachable through the gateway', async () => {
    for (const [target, service] of [
      ['/auth/health', 'user-service'],
      ['/messages/health', 'message-service'],
      ['/health', 'api-gateway'],
    ]) {
      const res = await raw(gw.url, 'GET', target!);
      expect(res.status, target).toBe(200);
      expect(JSON.parse(res.text), target).toEqual({ status: 'ok', service });
    }
  });

  it('no spelling of an operator path reaches a /metrics or /ready, nor mints a metric label', async () => {
    await upstreamRouteLabels(); // its own /metrics request is counted after it answers
    const labelsBefore = await upstreamRouteLabels();
    for (const target of OPERATOR_TARGETS) {
      const res = await raw(gw.url, 'GET', target);
      expect([400, 404], `${target} → ${res.status}`).toContain(res.status);
      expect(res.type, target).toMatch(/^application\/json/);
      expect(JSON.parse(res.text), target).toMatchObject({
        error: { code: res.status === 400 ? 'INVALID' : 'NOT_FOUND' },
      });
      expect(res.text, target).not.toContain('# HELP');
      expect(res.text, target).not.toContain('"checks"');
    }
    // None of them was forwarded: message-service saw no new route.
    expect(await upstreamRouteLabels()).toEqual(labelsBefore);
    // The gateway's own metrics label them all as one, whatever the spelling.
    const own = await (await fetch(`${gw.operatorUrl}/metrics`)).text();
    const ownRoutes = new Set([...own.matchAll(/^http_requests_total\{[^}]*route="([^"]*)"/gm)].map((m) => m[1]));
    for (const route of ownRoutes) expect(route).toMatch(/^(unmatched|\/[a-z/.{}*]*(\/health)?)$/);
    expect([...ownRoutes].some((r) => /metrics|ready/i.test(r!))).toBe(false);
  });

  it('never forwards /internal/* (chat-service internal publish and notify), in any spelling', async () => {
    // Behind an upstream that answers anything, so a forwarded request would show.
    const echo = await startEchoUpstream();
    const open = await startGateway({
      userServiceUrl: echo.url,
      messageServiceUrl: echo.url,
      chatServiceUrls: [echo.url],
    });
    try {
      for (const base of [gw.url, open.url]) {
        for (const target of INTERNAL_TARGETS) {
          for (const method of ['GET', 'POST']) {
            const res = await raw(base, method, target);
            expect([400, 404], `${method} ${target} → ${res.status}`).toContain(res.status);
            expect(JSON.parse(res.text), target).toHaveProperty('error.code');
          }
        }
      }
      expect(echo.received.map((r) => r.url)).toEqual([]);
    } finally {
      await open.close();
      await echo.close();
    }
  });

  it('the gateway own /ready and /metrics are on the operator port only', async () => {
    const ready = await fetch(`${gw.operatorUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      checks: { 'user-service': true, 'message-service': true, 'chat-service-1': true },
    });
    expect(await (await fetch(`${gw.operatorUrl}/metrics`)).text()).toContain('gateway_upstream_duration_seconds');
  });
});
