import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Message, RoomSummary } from '@chat/contracts';
import { tcpReachable, useIsolation } from '@chat/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { messageServiceKeys } from '../src/keys.js';
import { RoomStates } from '../src/room-states.js';
import {
  applyThroughQueue,
  createPublisher,
  freePort,
  getHistory,
  getJson,
  joined,
  makeMessage,
  metricValue,
  ObservedStore,
  persistThroughQueue,
  seqsOf,
  startService,
  tokenFor,
  userId,
  waitFor,
  type RunningService,
} from './helpers.js';

const iso = useIsolation('ms-redis-outage');
let port: number;
let dir: string;
let redisProc: ChildProcess | null = null;
let service: RunningService;
let store: ObservedStore;
let publisher: Awaited<ReturnType<typeof createPublisher>>;
const token = tokenFor(userId());

async function startRedis(): Promise<void> {
  // AOF fsynced on every write: the cached pages survive the kill, as with a persistent Redis.
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
  ];
  redisProc = spawn('redis-server', args, { stdio: 'ignore' });
  await waitFor(() => tcpReachable(`redis://127.0.0.1:${port}`, 200), 10_000, 'private redis-server');
}

async function killRedis(): Promise<void> {
  const proc = redisProc;
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
  redisProc = null;
}

beforeAll(async () => {
  port = await freePort();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ms-redis-'));
  await startRedis();
  service = await startService(iso(), {
    redisUrl: `redis://127.0.0.1:${port}`,
    wrapStore: (inner) => (store = new ObservedStore(inner)),
  });
  publisher = await createPublisher(iso().amqpUrl);
});

afterAll(async () => {
  await publisher?.close();
  await service?.close();
  await killRedis();
  await rm(dir, { recursive: true, force: true });
});

const persist = (message: Message) => persistThroughQueue(service, publisher, message);

it('serves history from MongoDB while Redis is down, and caches again once it is back', async () => {
  const roomId = 'redis-down';
  await persist(makeMessage({ roomId, seq: 1 }));
  await getHistory(service.url, roomId, {}, token);
  const reads = store.reads;
  expect(seqsOf((await getHistory(service.url, roomId, {}, token)).body)).toEqual([1]);
  expect(store.reads).toBe(reads); // cached

  await killRedis();
  const started = Date.now();
  const down = await getHistory(service.url, roomId, {}, token);
  expect(down.status).toBe(200);
  expect(seqsOf(down.body)).toEqual([1]);
  expect(Date.now() - started).toBeLessThan(1000); // fails fast, no waiting on Redis
  expect(store.reads).toBe(reads + 1);
  expect(await metricValue(service.svc, 'history_cache_fallbacks_total')).toBeGreaterThanOrEqual(1);
  expect((await fetch(`${service.url}/ready`)).status).toBe(503);
  // The read limit fails open: more reads than READ_RATE_LIMIT_PER_SEC (20) in a burst, all served.
  const burst = await Promise.all(Array.from({ length: 25 }, () => getHistory(service.url, roomId, {}, token)));
  expect(burst.map((r) => r.status)).toEqual(Array(25).fill(200));
  expect(await metricValue(service.svc, 'read_rate_limiter_failures_total')).toBeGreaterThanOrEqual(25);

  // Writes go on; their invalidation waits for Redis, reads see them from MongoDB meanwhile.
  await persist(makeMessage({ roomId, seq: 2 }));
  expect(seqsOf((await getHistory(service.url, roomId, {}, token)).body)).toEqual([1, 2]);

  // Redis comes back with the page cached before seq 2; the invalidation held back meanwhile
  // is applied on reconnect, so the old page is not served.
  await startRedis();
  await waitFor(() => service.redis.status === 'ready', 10_000, 'cache client reconnected');
  const hitsBefore = await metricValue(service.svc, 'history_cache_hits_total');
  const answers: number[][] = [];
  await waitFor(
    async () => {
      answers.push(seqsOf((await getHistory(service.url, roomId, {}, token)).body));
      return (await metricValue(service.svc, 'history_cache_hits_total')) > hitsBefore;
    },
    5000,
    'history served from the cache again',
  );
  expect(answers.every((a) => a.join() === '1,2')).toBe(true);
  // The stored-max mark held back with the invalidation reached Redis too.
  expect(await service.redis.get(messageServiceKeys(iso().redisPrefix).roomStoredMax(roomId))).toBe('2');
});

it('serves the room list from MongoDB while Redis is down or slow; the states written meanwhile reach Redis once it is back', async () => {
  const roomId = 'list-redis-down';
  const reader = userId();
  const stateKey = messageServiceKeys(iso().redisPrefix).roomState(roomId);
  const list = async () => {
    const started = Date.now();
    const { status, body } = await getJson<{ rooms: RoomSummary[] }>(`${service.url}/messages/rooms`, tokenFor(reader));
    expect(status).toBe(200);
    return { room: body.rooms.find((r) => r.roomId === roomId), ms: Date.now() - started };
  };
  await applyThroughQueue(service, publisher, joined(roomId, reader, Date.now()));
  await persist(makeMessage({ roomId, seq: 1, text: 'before' }));
  expect((await list()).room?.lastMessage?.text).toBe('before');
  expect(await service.redis.exists(stateKey)).toBe(1);

  await killRedis();
  await persist(makeMessage({ roomId, seq: 2, text: 'during' }));
  const down = await list();
  expect(down.room).toMatchObject({ lastSeq: 2, unread: 2, lastMessage: { text: 'during' } });
  expect(down.ms).toBeLessThan(1000); // fails fast, no waiting on Redis

  // Back with its AOF, holding the copy of seq 1: the consumer's held-back copy replaces it.
  await startRedis();
  await waitFor(() => service.redis.status === 'ready', 10_000, 'cache client reconnected');
  await waitFor(
    async () => RoomStates.parse(roomId, await service.redis.get(stateKey))?.lastMessageSeq === 2,
    5_000,
    'state copy written again',
  );
  expect((await list()).room?.lastMessage?.text).toBe('during');

  // Redis hung (stopped, the connection open): each command gives up after HISTORY_CACHE_TIMEOUT_MS.
  await service.redis.set(stateKey, '0|0|0|'); // a copy saying "no state", which the list must not get to
  redisProc!.kill('SIGSTOP');
  try {
    const slow = await list();
    expect(slow.room).toMatchObject({ lastSeq: 2, lastMessage: { text: 'during' } });
    expect(slow.ms).toBeLessThan(2000);
  } finally {
    redisProc!.kill('SIGCONT');
  }
});
