import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MESSAGE_PERSIST_DLQ, MESSAGE_PERSIST_QUEUE } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { messageModel } from '../src/message-model.js';
import { PrivateFerretDb } from './ferretdb.js';
import {
  createPublisher,
  makeMessage,
  metricValue,
  startService,
  storedSeqs,
  waitFor,
  type RunningService,
} from './helpers.js';

const iso = useIsolation('ms-mongo-outage');
let dir: string;
let ferret: PrivateFerretDb;
let service: RunningService;
let publisher: Awaited<ReturnType<typeof createPublisher>>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ms-ferretdb-'));
  ferret = await PrivateFerretDb.create(dir);
  await ferret.start();
  service = await startService(iso(), {
    mongoUrl: ferret.url,
    env: { PERSIST_RETRY_MAX_MS: '300', PERSIST_STUCK_AFTER_SEC: '2' },
  });
  publisher = await createPublisher(iso().amqpUrl);
});

afterAll(async () => {
  await publisher?.close();
  await service?.close();
  await ferret?.kill();
  await rm(dir, { recursive: true, force: true });
});

it('holds the backlog while MongoDB is down, says it is stuck, and stores all of it, once, when it returns', async () => {
  const roomId = 'outage';
  const stored = () => messageModel(service.mongo).countDocuments({ roomId });
  const messages = Array.from({ length: 600 }, (_, i) => makeMessage({ roomId, seq: i + 1 }));

  for (const m of messages.slice(0, 200)) publisher.publish(m);
  await publisher.confirmed();
  await waitFor(async () => (await stored()) === 200, 15_000, 'first 200 stored');

  await ferret.kill();
  for (const m of messages.slice(200)) publisher.publish(m);
  await publisher.confirmed();
  await waitFor(
    async () => (await metricValue(service.svc, 'persist_write_retries_total')) >= 2,
    15_000,
    'write retries',
  );
  // Held, not acked and not requeued: the broker keeps the 400 until MongoDB is back.
  expect(await metricValue(service.svc, 'persist_messages_stored_total')).toBe(200);
  // Stuck, and saying so: on /ready and in the metrics, once deliveries wait past PERSIST_STUCK_AFTER_SEC.
  await waitFor(async () => (await metricValue(service.svc, 'persist_consumer_stuck')) === 1, 15_000, 'stuck gauge');
  expect(await metricValue(service.svc, 'persist_oldest_pending_seconds')).toBeGreaterThan(2);
  const stuck = await fetch(`${service.url}/ready`);
  expect(stuck.status).toBe(503);
  expect(await stuck.json()).toMatchObject({ checks: { persist: false } });

  await ferret.start();
  await waitFor(async () => (await stored().catch(() => 0)) === 600, 30_000, 'all 600 stored after MongoDB returned');
  expect(await storedSeqs(service.mongo, roomId)).toEqual(messages.map((m) => m.seq));
  expect(await metricValue(service.svc, 'persist_messages_stored_total')).toBe(600);
  expect(await metricValue(service.svc, 'persist_dead_lettered_total')).toBe(0);
  expect(await metricValue(service.svc, 'persist_consumer_stuck')).toBe(0);
  expect(await metricValue(service.svc, 'persist_oldest_pending_seconds')).toBe(0);
  await waitFor(async () => (await fetch(`${service.url}/ready`)).ok, 15_000, 'ready again');
  const ch = await publisher.conn.createChannel();
  expect((await ch.checkQueue(MESSAGE_PERSIST_DLQ)).messageCount).toBe(0); // delivery limit not spent
  expect((await ch.checkQueue(MESSAGE_PERSIST_QUEUE)).messageCount).toBe(0);
  await ch.close();
});
