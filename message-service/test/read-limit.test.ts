import type { ErrorDetail } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { messageServiceKeys } from '../src/keys.js';
import { createMongoMessageStore } from '../src/message-store.js';
import {
  asEvents,
  makeMessage,
  metricValue,
  startService,
  tokenFor,
  userId,
  waitFor,
  type RunningService,
} from './helpers.js';

// Two replicas on one Redis: the per-user read budget (READ_RATE_LIMIT_PER_SEC) is shared.
const iso = useIsolation('ms-read-limit');
const env = { READ_RATE_LIMIT_PER_SEC: '5' };
let a: RunningService;
let b: RunningService;
const room = 'limited';

beforeAll(async () => {
  a = await startService(iso(), { consume: false, env });
  b = await startService(iso(), { consume: false, env });
  const store = createMongoMessageStore(a.mongo);
  await store.ensureIndexes();
  await store.writeBatch(asEvents([makeMessage({ roomId: room, seq: 1 })]));
});

afterAll(async () => {
  await a?.close();
  await b?.close();
});

async function read(service: RunningService, token: string) {
  const res = await fetch(`${service.url}/messages/history/${room}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { error?: ErrorDetail };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), error: body.error };
}

it('a burst over the limit across two replicas answers 429 RATE_LIMITED with retryAfterSec and Retry-After', async () => {
  const user = userId();
  const token = tokenFor(user);
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => read(i % 2 === 0 ? a : b, token)));
  const served = answers.filter((r) => r.status === 200).length;
  const limited = answers.filter((r) => r.status === 429);
  expect(served).toBeGreaterThanOrEqual(5);
  expect(limited.length).toBeGreaterThan(0);
  expect(limited[0]).toEqual({
    status: 429,
    retryAfter: '1',
    error: { code: 'RATE_LIMITED', message: 'at most 5 reads per second', retryAfterSec: 1 },
  });
  expect(
    (await metricValue(a.svc, 'read_rate_limited_total')) + (await metricValue(b.svc, 'read_rate_limited_total')),
  ).toBe(limited.length);

  // Someone else is not held back meanwhile, and the user is served again once the window is over.
  expect((await read(a, tokenFor(userId()))).status).toBe(200);
  await waitFor(async () => (await read(b, token)).status === 200, 10_000, 'served after the window');
});

it('the budget lives in Redis: hits counted by one replica limit the other', async () => {
  const user = userId();
  const token = tokenFor(user);
  // Five hits already counted this window by some replica, the window ending in 30 s.
  await a.redis.set(messageServiceKeys(iso().redisPrefix).readRate(user), '5', 'PX', 30_000);
  for (const service of [a, b]) {
    const answer = await read(service, token);
    expect(answer.status).toBe(429);
    expect(Number(answer.retryAfter)).toBeGreaterThan(1);
    expect(answer.error?.retryAfterSec).toBe(Number(answer.retryAfter));
  }
});

it('malformed or forbidden reads cost no budget', async () => {
  const user = userId();
  const token = tokenFor(user);
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${a.url}/messages/history/${room}?limit=0`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(400);
  }
  expect(await a.redis.exists(messageServiceKeys(iso().redisPrefix).readRate(user))).toBe(0);
});
