import type { RoomEvent } from '@chat/contracts';
import { freePort, useIsolation, waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockGensTtlSec, summarise, SUMMARISED_FIELDS, type BlockSummaries } from '../src/block-summaries.js';
import { messageServiceKeys } from '../src/keys.js';
import { createMongoMembershipStore, type MembershipStore } from '../src/membership-store.js';
import { createMongoMessageStore, type MessageStore } from '../src/message-store.js';
import { blockOf, SEQ_BLOCK_SIZE, seqBlocksOf } from '../src/seq-blocks.js';
import {
  asEvents,
  blockSummaries,
  createPublisher,
  makeMessage,
  mongoCommands,
  publishRoomEvents,
  startService,
  userId,
  type RunningService,
} from './helpers.js';

// Unread counts from block summaries in Redis (block-summaries.ts) against the range aggregation,
// on the real database and Redis, with the consumer writing: a summary of a block is used only
// while no write to the block has landed since it was read.
const iso = useIsolation('ms-block-summaries');
let service: RunningService;
let publisher: Awaited<ReturnType<typeof createPublisher>>;
let members: MembershipStore;
let store: MessageStore;
let summaries: BlockSummaries;
const reader = { userId: userId(), username: 'reader' };
/** Others who write in the rooms (senderId must be a user id). */
const senders = Array.from({ length: 10 }, () => userId());

beforeAll(async () => {
  service = await startService(iso());
  publisher = await createPublisher(iso().amqpUrl);
  members = createMongoMembershipStore(service.mongo);
  store = createMongoMessageStore(service.mongo);
  summaries = blockSummaries(service.redis, iso().redisPrefix);
  // The service's start backfills (nothing here) and then lets counts go by block.
  await waitFor(async () => seqBlocksOf(service.mongo).ready, 10_000, 'seq blocks ready');
}, 60_000);

afterAll(async () => {
  await publisher?.close();
  await service?.close();
});

const throughConsumer = (...events: Pick<RoomEvent, 'type' | 'message'>[]) =>
  publishRoomEvents(service, publisher, ...events);

/** The reader's counts of `roomId` after `after`: with `using`'s summaries (top `top`) and by range. */
async function countBoth(roomId: string, after: number, top: number, using = summaries) {
  const [bySummaries, byRange] = await Promise.all([
    members.countUnread(reader.userId, reader.username, [{ roomId, after, top }], using),
    members.countUnread(reader.userId, reader.username, [{ roomId, after }]),
  ]);
  return { bySummaries: bySummaries.get(roomId), byRange: byRange.get(roomId) };
}

/** A room of `count` messages from seq `first`, every third the reader's, every fifth mentioning them. */
const roomMessages = (roomId: string, first: number, count: number) =>
  Array.from({ length: count }, (_, i) =>
    makeMessage({
      roomId,
      seq: first + i,
      senderId: i % 3 === 0 ? reader.userId : senders[i % 4]!,
      ...(i % 5 === 0 ? { mentions: [reader.username] } : {}),
    }),
  );

describe('unread counts from block summaries', () => {
  it('follow inserts, deletes, edits and reactions written by the consumer into summarised blocks', async () => {
    const roomId = 'sum-writes';
    const first = 100 * SEQ_BLOCK_SIZE + 10;
    const messages = roomMessages(roomId, first, 150).filter((_, i) => i % 7 !== 6); // gaps to insert into
    await throughConsumer(...asEvents(messages));
    let top = messages.at(-1)!.seq;
    const markers = [0, first + 20, first + 70, top - 3];
    /** Every marker counts the same from summaries (warmed first) as by range, and reads no block the second time. */
    const expectExact = async () => {
      for (const after of markers) {
        const cold = await countBoth(roomId, after, top);
        expect({ after, ...cold }).toEqual({ after, bySummaries: cold.byRange, byRange: cold.byRange });
        const warm = await mongoCommands(service.mongo, () => countBoth(roomId, after, top));
        expect({ after, ...warm.result }).toEqual({ after, bySummaries: cold.byRange, byRange: cold.byRange });
        expect(warm.commands.filter((c) => c === 'messages.find')).toEqual([]);
      }
      return (await countBoth(roomId, 0, top)).byRange!;
    };
    let counts = await expectExact();
    /** Writes through the consumer, then expects every marker exact and the whole room's counts moved by `by`. */
    const afterWrite = async (
      by: { unread: number; mentions: number },
      ...events: Parameters<typeof throughConsumer>
    ) => {
      await throughConsumer(...events);
      const now = await expectExact();
      expect(now).toEqual({ unread: counts.unread + by.unread, mentions: counts.mentions + by.mentions });
      counts = now;
    };
    const others = messages.filter((m) => m.senderId !== reader.userId);
    const [mentioning, plain, plainToo] = [
      others.find((m) => m.mentions !== undefined)!,
      ...others.filter((m) => m.mentions === undefined).slice(-2),
    ];

    // A message from another, mentioning the reader, into a gap of a summarised block.
    const gap = first + 6;
    expect(messages.some((m) => m.seq === gap)).toBe(false);
    await afterWrite(
      { unread: 1, mentions: 1 },
      {
        type: 'message',
        message: makeMessage({ roomId, seq: gap, senderId: senders[9], mentions: [reader.username] }),
      },
    );
    // A message in a new block: counted once the walk starts above it.
    const newest = makeMessage({ roomId, seq: top + SEQ_BLOCK_SIZE, senderId: senders[9] });
    top = newest.seq;
    await afterWrite({ unread: 1, mentions: 0 }, { type: 'message', message: newest });
    // Deleted: no longer counted.
    const deletedAt = new Date().toISOString();
    await afterWrite(
      { unread: -1, mentions: -1 },
      { type: 'delete', message: { ...mentioning!, text: '', mentions: [], version: top + 1, deletedAt } },
    );
    // Edited to mention the reader.
    const editedAt = new Date().toISOString();
    await afterWrite(
      { unread: 0, mentions: 1 },
      { type: 'edit', message: { ...plain!, mentions: [reader.username], version: top + 2, editedAt } },
    );
    // A reaction carries the message's whole state: one that overtook an edit brings its mentions.
    const reactions = [{ emoji: '👍', userIds: [reader.userId] }];
    await afterWrite(
      { unread: 0, mentions: 1 },
      { type: 'reaction', message: { ...plainToo!, mentions: [reader.username], version: top + 4, reactions } },
    );
  });

  it('never uses a summary read before a write once the write is recorded', async () => {
    const roomId = 'sum-race';
    const messages = roomMessages(roomId, 5 * SEQ_BLOCK_SIZE, 30);
    await throughConsumer(...asEvents(messages));
    const block = 5;
    const top = messages.at(-1)!.seq + 1;
    // A count captures the block's generation, then reads the block from MongoDB…
    const loaded = (await summaries.load([{ roomId, blocks: [block] }]))!;
    expect(loaded.get(roomId, block)).toBeUndefined();
    const readBefore = summarise(block, await seqBlocksOf(service.mongo).readBlock(roomId, block, SUMMARISED_FIELDS));
    // …a message is stored into that block and recorded…
    await throughConsumer({ type: 'message', message: makeMessage({ roomId, seq: top, senderId: senders[9] }) });
    // …and only then the count stores its summary, without the message.
    loaded.put(roomId, block, readBefore);
    await loaded.save();
    const counts = await countBoth(roomId, 0, top);
    expect(counts.bySummaries).toEqual(counts.byRange);
    expect(counts.byRange!.unread).toBe(messages.filter((m) => m.senderId !== reader.userId).length + 1);
  });

  it("does not trust a room's summaries while its invalidation is pending, and counts from MongoDB with Redis down", async () => {
    const roomId = 'sum-pending';
    const messages = roomMessages(roomId, 7 * SEQ_BLOCK_SIZE, 40);
    await throughConsumer(...asEvents(messages));
    const top = messages.at(-1)!.seq + 1;
    await countBoth(roomId, 0, top); // summaries warm
    // Stored, but its generation bump has not reached Redis (the consumer retries it).
    await store.writeBatch(asEvents([makeMessage({ roomId, seq: top, senderId: senders[9] })]));
    const pending = blockSummaries(service.redis, iso().redisPrefix, (r) => r === roomId);
    const counts = await countBoth(roomId, 0, top, pending);
    expect(counts.bySummaries).toEqual(counts.byRange);

    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      enableOfflineQueue: false,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    down.on('error', () => undefined);
    const withoutRedis = await countBoth(roomId, 0, top, blockSummaries(down, iso().redisPrefix));
    expect(withoutRedis.bySummaries).toEqual(counts.byRange);
    down.disconnect();
  });

  it("keeps a copy of the room's floor that a message below it lowers, and never fills one read before a write", async () => {
    const roomId = 'sum-floor';
    const messages = roomMessages(roomId, 20 * SEQ_BLOCK_SIZE, 30);
    await throughConsumer(...asEvents(messages));
    const top = messages.at(-1)!.seq;
    const wanted = [{ roomId, blocks: [blockOf(top)] }];
    // A count loads (no floor copy yet), reads the floor from MongoDB, and a late message lands
    // below it before the count copies it: the copy is refused.
    const loaded = (await summaries.load(wanted))!;
    expect(loaded.floorBlock(roomId)).toBeUndefined();
    const floor = (await seqBlocksOf(service.mongo).floors.of(roomId))!;
    const late = makeMessage({ roomId, seq: 12 * SEQ_BLOCK_SIZE, senderId: senders[5] });
    await throughConsumer({ type: 'message', message: late });
    loaded.putFloorBlock(roomId, blockOf(floor));
    await loaded.save();
    expect((await summaries.load(wanted))!.floorBlock(roomId)).toBeUndefined();
    let counts = await countBoth(roomId, 0, top);
    expect(counts.bySummaries).toEqual(counts.byRange);

    // Copied by that count; a message below it, written and recorded, lowers the copy.
    expect((await summaries.load(wanted))!.floorBlock(roomId)).toBe(12);
    const lower = makeMessage({ roomId, seq: 3 * SEQ_BLOCK_SIZE + 1, senderId: senders[6] });
    await throughConsumer({ type: 'message', message: lower });
    expect((await summaries.load(wanted))!.floorBlock(roomId)).toBe(3);
    counts = await countBoth(roomId, 0, top);
    expect(counts.bySummaries).toEqual(counts.byRange);
    expect(counts.byRange!.unread).toBe(messages.filter((m) => m.senderId !== reader.userId).length + 2);
  });

  it('takes a block of deleted messages as a non-empty block, as the walk over MongoDB does', async () => {
    // 40 blocks of one deleted message each, between live messages: no seq jump, so no aggregation.
    const roomId = 'sum-deleted';
    const live = [makeMessage({ roomId, seq: 10, senderId: senders[1] })];
    const deleted = Array.from({ length: 40 }, (_, i) =>
      makeMessage({ roomId, seq: (i + 1) * SEQ_BLOCK_SIZE + 3, text: '', deletedAt: new Date().toISOString() }),
    );
    const last = makeMessage({ roomId, seq: 41 * SEQ_BLOCK_SIZE + 3, senderId: senders[2] });
    await throughConsumer(...asEvents([...live, ...deleted, last]));
    for (let round = 0; round < 2; round++) {
      const { result, commands } = await mongoCommands(service.mongo, () => countBoth(roomId, 0, last.seq));
      expect(result).toEqual({ bySummaries: { unread: 2, mentions: 0 }, byRange: { unread: 2, mentions: 0 } });
      // One aggregation: the range count's own; none for a seq jump.
      expect(commands.filter((c) => c === 'messages.aggregate')).toHaveLength(1);
    }
    expect(blockOf(last.seq)).toBe(41);
    const gens = await service.redis.hgetall(messageServiceKeys(iso().redisPrefix).blockGens(roomId));
    expect(
      Object.keys(gens)
        .filter((field) => /^\d+$/.test(field))
        .sort((a, b) => Number(a) - Number(b)),
    ).toEqual(Array.from({ length: 42 }, (_, b) => String(b)));
  });

  it('bounds the generation hash: it outlives every summary tagged by it, and expires after a quiet spell', async () => {
    const roomId = 'sum-expiry';
    const keys = messageServiceKeys(iso().redisPrefix);
    const messages = roomMessages(roomId, 7 * SEQ_BLOCK_SIZE, 20);
    await throughConsumer(...asEvents(messages));
    const top = messages.at(-1)!.seq;
    const serviceGensTtl = blockGensTtlSec(86_400); // the service's BLOCK_SUMMARY_TTL_SEC default
    const ttl = await service.redis.ttl(keys.blockGens(roomId));
    expect(ttl).toBeGreaterThan(serviceGensTtl - 60);
    expect(ttl).toBeLessThanOrEqual(serviceGensTtl);

    const docs = await service.mongo
      .db!.collection('messages')
      .find({ roomId }, { projection: SUMMARISED_FIELDS })
      .toArray();
    const summary = summarise(blockOf(top), docs as never);
    const wanted = [{ roomId, blocks: [blockOf(top)] }];
    // A stored summary pushes the hash's expiry out past its own (helpers: a summary lives 3,600 s).
    await service.redis.expire(keys.blockGens(roomId), 100);
    let loaded = (await summaries.load(wanted))!;
    loaded.put(roomId, blockOf(top), summary);
    await loaded.save();
    expect(await service.redis.exists(keys.blockSummary(roomId, blockOf(top)))).toBe(1);
    expect(await service.redis.ttl(keys.blockGens(roomId))).toBeGreaterThan(blockGensTtlSec(3_600) - 60);

    // The hash expires between a count's load and its save: the summary (generation 1) is not
    // stored, as a later write would count that block from 0 again and meet its number.
    await service.redis.del(keys.blockSummary(roomId, blockOf(top)));
    loaded = (await summaries.load(wanted))!;
    await service.redis.del(keys.blockGens(roomId));
    loaded.put(roomId, blockOf(top), summary);
    await loaded.save();
    expect(await service.redis.exists(keys.blockSummary(roomId, blockOf(top)))).toBe(0);
    const counts = await countBoth(roomId, 0, top);
    expect(counts.bySummaries).toEqual(counts.byRange);
  });
});
