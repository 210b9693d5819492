import type { Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatKeys } from '../src/adapters/keys.js';
import type { RecentBuffer } from '../src/adapters/recent-buffer.js';
import { createRedisRecentBuffer } from '../src/adapters/recent-buffer_redis.js';
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

describe('changes in the recent buffer (Redis)', () => {
  const changed = (m: Message, version: number, text: string): Message => ({ ...m, version, text });

  it('replaces a buffered message in place and answers changes of older ones by version, each once', async () => {
    const room = 'changes';
    const ms = [1, 2, 3].map((seq) => fakeMessage(room, seq));
    for (const m of ms) await push(m);
    const v4 = changed(ms[0]!, 4, 'edited once');
    await buffer.applyChange(v4, JSON.stringify(v4), 1);
    const v5 = changed(ms[0]!, 5, 'edited twice');
    await buffer.applyChange(v5, JSON.stringify(v5), 4);
    const slice = await buffer.since(room, 3, 10);
    expect(slice.messages).toEqual([]);
    expect(slice.changed).toEqual([v5]); // the v4 entry is gone
    expect(slice.completeAfter).toBe(0); // a room whose buffer began at seq 1 lost no change
    expect((await buffer.since(room, 0, 10)).messages).toEqual([v5, ms[1], ms[2]]);
    expect(await buffer.lookup(room, ms[0]!.id)).toEqual({
      record: { seq: 1, version: 5, senderId: ms[0]!.senderId, deleted: false },
      message: v5,
    });
    expect(await buffer.lookup('elsewhere', ms[0]!.id)).toEqual({ record: null, message: null });
  });

  it('keeps the state of a change whose message left the recent buffer, and raises its floor on eviction', async () => {
    const room = 'changes-evicted';
    const first = fakeMessage(room, 1);
    await push(first);
    for (let seq = 2; seq <= 7; seq++) await push(fakeMessage(room, seq)); // size 5: seq 1 and 2 evicted
    const v8 = changed(first, 8, 'late edit');
    await buffer.applyChange(v8, JSON.stringify(v8), 1);
    expect((await buffer.lookup(room, first.id)).message).toEqual(v8);
    for (let v = 9; v <= 14; v++) {
      const m = fakeMessage(room, v - 6); // seqs 3..8 (8 is not buffered: only its change is)
      const c = changed(m, v, `edit ${v}`);
      await buffer.applyChange(c, JSON.stringify(c), m.seq);
    }
    const slice = await buffer.since(room, 0, 10);
    expect(slice.changed.map((m) => m.version)).toEqual([10, 11, 12, 13, 14]);
    expect(slice.completeAfter).toBe(9);
  });

  it("writes the record and the send's dedupe record with the push; every buffer key keeps the shared TTL, also after eviction", async () => {
    const room = 'ttl';
    const keys = chatKeys(iso().redisPrefix);
    const sent = `${iso().redisPrefix}sent:ttl-test`;
    const first = fakeMessage(room, 1);
    await buffer.push(first, JSON.stringify(first), { key: sent, value: 's:1:0:hash', ttlSec: 90 });
    expect(await redis.get(sent)).toBe('s:1:0:hash');
    expect(await redis.ttl(sent)).toBeGreaterThan(80);
    expect(await redis.get(keys.messageRecord(room, first.id))).toBe(`1:1:${first.senderId}:0`);
    // A change creates the changes buffer; pushes past the size evict from both floors' buffers.
    const edited = { ...first, version: 2, text: 'edited' };
    await buffer.applyChange(edited, JSON.stringify(edited), 1);
    for (let seq = 3; seq <= 12; seq++) await push(fakeMessage(room, seq));
    const roomKeys = [
      keys.roomRecent(room),
      keys.roomRecentFloor(room),
      keys.roomChanges(room),
      keys.roomChangesFloor(room),
    ];
    const ttls = await Promise.all(roomKeys.map((k) => redis.ttl(k)));
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(7 * 86_400 - 3600 - 60);
    expect(await redis.get(keys.roomRecentFloor(room))).toBe('7');
    // Run the TTL down past the refresh point: the next push refreshes all four together.
    for (const k of roomKeys) await redis.expire(k, 100);
    await push(fakeMessage(room, 13));
    for (const k of roomKeys) expect(await redis.ttl(k)).toBeGreaterThan(7 * 86_400 - 60);
  });
});
