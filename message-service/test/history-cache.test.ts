import type { Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageServiceKeys } from '../src/keys.js';
import {
  createPublisher,
  getHistory,
  makeMessage,
  metricValue,
  ObservedStore,
  persistThroughQueue,
  seqsOf,
  startService,
  tokenFor,
  userId,
  type RunningService,
} from './helpers.js';

const iso = useIsolation('ms-cache');
let service: RunningService;
let store: ObservedStore;
let publisher: Awaited<ReturnType<typeof createPublisher>>;
const token = tokenFor(userId());

beforeAll(async () => {
  service = await startService(iso(), {
    wrapStore: (inner) => (store = new ObservedStore(inner)),
  });
  publisher = await createPublisher(iso().amqpUrl);
});

afterAll(async () => {
  await publisher?.close();
  await service?.close();
});

const persist = (...messages: Message[]) => persistThroughQueue(service, publisher, ...messages);

describe('history cache-aside', () => {
  it('misses once, then hits without touching MongoDB', async () => {
    const roomId = 'cache-hit';
    await persist(makeMessage({ roomId, seq: 1 }), makeMessage({ roomId, seq: 2 }));
    const reads = store.reads;
    const first = await getHistory(service.url, roomId, {}, token);
    expect(store.reads).toBe(reads + 1);
    const hitsBefore = await metricValue(service.svc, 'history_cache_hits_total');
    const second = await getHistory(service.url, roomId, {}, token);
    expect(second.body).toEqual(first.body);
    expect(seqsOf(second.body)).toEqual([1, 2]);
    expect(store.reads).toBe(reads + 1);
    expect(await metricValue(service.svc, 'history_cache_hits_total')).toBe(hitsBefore + 1);
    // A different page of the same room is its own cache entry.
    await getHistory(service.url, roomId, { limit: 1 }, token);
    expect(store.reads).toBe(reads + 2);
  });

  it('a hit answers the very bytes and headers of the miss that filled it', async () => {
    const roomId = 'cache-bytes';
    await persist(makeMessage({ roomId, seq: 1, text: 'héllo "quoted" \u2028 😀' }), makeMessage({ roomId, seq: 2 }));
    const get = () =>
      fetch(`${service.url}/messages/history/${roomId}?limit=10`, { headers: { authorization: `Bearer ${token}` } });
    const hitsBefore = await metricValue(service.svc, 'history_cache_hits_total');
    const miss = await get();
    const hit = await get();
    expect(await metricValue(service.svc, 'history_cache_hits_total')).toBe(hitsBefore + 1);
    const missText = await miss.text();
    expect(await hit.text()).toBe(missText);
    expect(JSON.parse(missText)).toEqual({
      messages: [expect.objectContaining({ text: 'héllo "quoted" \u2028 😀' }), expect.anything()],
      hasMore: false,
    });
    for (const header of ['content-type', 'content-length', 'cache-control']) {
      expect(hit.headers.get(header)).toBe(miss.headers.get(header));
    }
    expect(hit.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('a stored write invalidates the room: the next read sees it', async () => {
    const roomId = 'cache-invalidate';
    await persist(makeMessage({ roomId, seq: 1 }));
    expect(seqsOf((await getHistory(service.url, roomId, {}, token)).body)).toEqual([1]);
    expect(seqsOf((await getHistory(service.url, roomId, {}, token)).body)).toEqual([1]); // cached
    await persist(makeMessage({ roomId, seq: 2 }));
    const reads = store.reads;
    expect(seqsOf((await getHistory(service.url, roomId, {}, token)).body)).toEqual([1, 2]);
    expect(store.reads).toBe(reads + 1);
  });

  it('a slow reader that read before a write cannot put its stale page back', async () => {
    const roomId = 'cache-race';
    const keys = messageServiceKeys(iso().redisPrefix);
    await persist(makeMessage({ roomId, seq: 1 }));

    // Reader A queries MongoDB (seeing seq 1 only) and stalls before filling the cache.
    const hold = store.holdReads();
    const slowRead = getHistory(service.url, roomId, {}, token);
    await hold.queried;
    const versionSeenByA = await service.redis.get(keys.historyVersion(roomId));

    // Meanwhile seq 2 is stored and the room invalidated.
    await persist(makeMessage({ roomId, seq: 2 }));
    hold.release();
    expect(seqsOf((await slowRead).body)).toEqual([1]); // A was concurrent with the write: its answer may be old

    // Readers after the write get it, also once A's page is in Redis.
    for (let i = 0; i < 2; i++) {
      expect(seqsOf((await getHistory(service.url, roomId, {}, token)).body)).toEqual([1, 2]);
    }
    // The race did happen: A wrote its stale page into Redis after the invalidation, but
    // under the version it read, which no reader uses any more.
    const stalePage = await service.redis.get(keys.historyPage(roomId, versionSeenByA ?? '0', 'newest:l50'));
    expect(stalePage).not.toBeNull();
    expect(seqsOf(JSON.parse(stalePage!) as { messages: { seq: number }[] })).toEqual([1]);
    expect(await service.redis.get(keys.historyVersion(roomId))).not.toBe(versionSeenByA);
  });

  it('50 concurrent misses of one page make one MongoDB query', async () => {
    const roomId = 'cache-stampede';
    await persist(...Array.from({ length: 30 }, (_, i) => makeMessage({ roomId, seq: i + 1 })));
    const reads = store.reads;
    const queriesBefore = await metricValue(service.svc, 'history_mongo_queries_total');
    // The one query is slow, so all 50 requests arrive while it runs. 50 readers: one user's
    // 50 reads would mostly be refused by the per-user read limit.
    const hold = store.holdReads();
    const answers = Promise.all(
      Array.from({ length: 50 }, () => getHistory(service.url, roomId, {}, tokenFor(userId()))),
    );
    await hold.queried;
    await new Promise((r) => setTimeout(r, 200));
    hold.release();
    const results = await answers;
    expect(results.every((r) => r.status === 200 && r.body.messages.length === 30)).toBe(true);
    expect(store.reads).toBe(reads + 1);
    expect(await metricValue(service.svc, 'history_mongo_queries_total')).toBe(queriesBefore + 1);
  });

  it('50 concurrent misses without any delay still make one MongoDB query', async () => {
    const roomId = 'cache-stampede-direct';
    await persist(...Array.from({ length: 5 }, (_, i) => makeMessage({ roomId, seq: i + 1 })));
    const reads = store.reads;
    const pages = await Promise.all(Array.from({ length: 50 }, () => service.svc.history.read(roomId, { limit: 50 })));
    expect(new Set(pages.map((p) => p.json.toString())).size).toBe(1);
    expect(store.reads).toBe(reads + 1);
  });
});
