import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAuthApi } from '../../user-service/test/auth-api-suite.js';
import { call, startUserService, type RunningUserService } from '../../user-service/test/harness.js';
import { rawGet, startEchoUpstream, startGateway, type RunningGateway } from './harness.js';

const iso = useIsolation('gateway-auth');
let users: RunningUserService;
let messages: Awaited<ReturnType<typeof startEchoUpstream>>;
let gw: RunningGateway;

beforeAll(async () => {
  users = await startUserService(iso());
  messages = await startEchoUpstream();
  gw = await startGateway({
    userServiceUrl: users.url,
    messageServiceUrl: messages.url,
    chatServiceUrls: [messages.url],
  });
});
afterAll(async () => {
  await gw?.close();
  await users?.close();
  await messages?.close();
});

describe('the auth API through the gateway', () => {
  describeAuthApi(() => gw.url);
});

describe('gateway routes to user-service', () => {
  it('/auth/health is user-service liveness; /health is the gateway own', async () => {
    const upstream = await call(`${gw.url}/auth/health`);
    expect(upstream.status).toBe(200);
    expect(upstream.body).toEqual({ status: 'ok', service: 'user-service' });
    const own = await call(`${gw.url}/health`);
    expect(own.body).toEqual({ status: 'ok', service: 'api-gateway' });
  });

  it('never exposes upstream /metrics or /ready: paths stay under the prefix, dot segments are refused', async () => {
    for (const path of [
      '/auth/metrics',
      '/auth/ready',
      '/auth/../metrics',
      '/auth/%2e%2e/metrics',
      '/messages/%2E%2E/ready',
      '/messages/metrics',
    ]) {
      const res = await rawGet(gw.url, path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.text, path).not.toContain('# HELP');
    }
    // message-service (an echo here) only ever sees paths it was sent, under /messages/.
    expect(messages.received.every((r) => r.url.startsWith('/messages/') || r.url === '/health')).toBe(true);
  });

  it('/ready reports each upstream, and is 503 while one is down', async () => {
    const res = await call(`${gw.operatorUrl}/ready`);
    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual({ 'user-service': true, 'message-service': true, 'chat-service-1': true });
    const partial = await startGateway({ userServiceUrl: users.url, messageServiceUrl: messages.url });
    try {
      const down = await call(`${partial.operatorUrl}/ready`);
      expect(down.status).toBe(503);
      expect(down.body.checks).toEqual({ 'user-service': true, 'message-service': true, 'chat-service-1': false });
    } finally {
      await partial.close();
    }
  });
});
