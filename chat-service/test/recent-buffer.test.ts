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

const push = (m: Message) => buffer.push(m.roomId, m.seq, JSON.stringify(m));
const seqs = (ms: Message[]) => ms.map((m) => m.seq);

describe('recent buffer (Redis)', () => {
  it('is complete after the seq before its first message, and after the evicted ones once full', async () => {
    const room = 'floor';
    expect(await buffer.since(room, 0, 10, 0)).toEqual({ messages: [], stragglers: [], completeAfter: null });
    for (let seq = 11; seq <= 14; seq++) await push(fakeMessage(room, seq));
    expect(await buffer.since(room, 12, 10, 0)).toMatchObject({ completeAfter: 10 });
    for (let seq = 15; seq <= 18; seq++) await push(fakeMessage(room, seq));
    const slice = await buffer.since(room, 0, 10, 0);
    expect(seqs(slice.messages)).toEqual([14, 15, 16, 17, 18]);
    expect(slice.completeAfter).toBe(13);
    expect(seqs((await buffer.since(room, 15, 2, 0)).messages)).toEqual([16, 17]);
    expect(await buffer.highestSeq(room)).toBe(18);
    expect(await redis.zcard(chatKeys(iso().redisPrefix).roomRecentPushed(room))).toBe(5);
  });

  it('reports lower seqs pushed after sinceSeq (or within the window before it) as stragglers', async () => {
    const room = 'stragglers';
    for (const seq of [1, 2, 3]) await push(fakeMessage(room, seq));
    await new Promise((r) => setTimeout(r, 20));
    await push(fakeMessage(room, 5));
    await push(fakeMessage(room, 4)); // confirmed late: broadcast after 5
    expect(seqs((await buffer.since(room, 5, 10, 0)).stragglers)).toEqual([4]);
    expect(seqs((await buffer.since(room, 5, 10, 10_000)).stragglers).sort()).toEqual([1, 2, 3, 4]);
    expect((await buffer.since(room, 6, 10, 10_000)).stragglers).toEqual([]);
  });
});
