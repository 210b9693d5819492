import type { Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatKeys } from '../src/keys.js';
import type { RecentBuffer } from '../src/recent-buffer.js';
import { createRedisRecentBuffer } from '../src/recent-buffer_redis.js';
import { fakeMessage } from './helpers.js';

const iso = useIsolation('chat-recent-buffer');
let redis: Redis;
let buffer: RecentBuffer;

beforeAll(() => {
  redis = new Redis(iso().redisUrl);
  buffer = createRedisRecentBuffer({ redis, keys: chatKeys(iso().redisPrefix), size: 5 });
});
afterAll(async () => {
  await redis?.quit();
});

const push = (m: Message) => buffer.push(m, JSON.stringify(m));
const seqs = (ms: Message[]) => ms.map((m) => m.seq);

describe('recent buffer (Redis)', () => {
  it('is complete after the seq before its first message, and after the evicted ones once full', async () => {
    const room = 'floor';
    expect(await buffer.since(room, 0, 10)).toEqual({ messages: [], changed: [], completeAfter: null });
    for (let seq = 11; seq <= 14; seq++) await push(fakeMessage(room, seq));
    expect(await buffer.since(room, 12, 10)).toMatchObject({ completeAfter: 10 });
    for (let seq = 15; seq <= 18; seq++) await push(fakeMessage(room, seq));
    const slice = await buffer.since(room, 0, 10);
    expect(seqs(slice.messages)).toEqual([14, 15, 16, 17, 18]);
    expect(slice.completeAfter).toBe(13);
    expect(seqs((await buffer.since(room, 15, 2)).messages)).toEqual([16, 17]);
  });

  it('answers only seqs above sinceSeq, also for lower seqs pushed after it', async () => {
    const room = 'late';
    for (const seq of [1, 2, 3, 5]) await push(fakeMessage(room, seq));
    await push(fakeMessage(room, 4)); // confirmed late: pushed after 5
    expect(seqs((await buffer.since(room, 3, 10)).messages)).toEqual([4, 5]);
    expect((await buffer.since(room, 5, 10)).messages).toEqual([]);
  });

  it('raises the floor past a late seq that no longer fits', async () => {
    const room = 'late-evicted';
    for (let seq = 10; seq <= 14; seq++) await push(fakeMessage(room, seq));
    await push(fakeMessage(room, 3)); // below every buffered seq: evicted at once
    expect(await buffer.since(room, 0, 10)).toMatchObject({ completeAfter: 9 });
    await push(fakeMessage(room, 15));
    expect(seqs((await buffer.since(room, 0, 10)).messages)).toEqual([11, 12, 13, 14, 15]);
    expect((await buffer.since(room, 0, 10)).completeAfter).toBe(10);
  });
});
