import type { Message } from '@chat/contracts';
import { connectMongo, createLogger } from '@chat/service-kit';
import { useIsolation } from '@chat/testing';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageModel } from '../src/message-model.js';
import { createMongoMembershipStore } from '../src/membership-store.js';
import { createMongoMessageStore, toDoc, type MessageStore, type PageQuery } from '../src/message-store.js';
import { MIGRATION_COLLECTION } from '../src/migrations.js';
import { SEQ_BLOCK_SIZE, SEQ_BLOCKS_MIGRATION, SEQ_FLOOR_COLLECTION, seqBlockOf } from '../src/seq-blocks.js';
import { asEvents, blockSummaries, makeMessage, mongoCommands, startService, type RunningService } from './helpers.js';

// On the real database (FerretDB here): pages read by block must equal pages read by range,
// through gaps (seqs taken by edits and reactions), a seq jump (Redis restarted), the room's
// first block and cursors outside the room.
const iso = useIsolation('ms-seq-blocks');
let service: RunningService;
let byBlock: MessageStore;
let byRange: MessageStore;
let rangeConn: Connection;
const log = createLogger('seq-blocks-test', 'silent');

/** A room's seqs: runs of messages, gaps where events took seqs, a jump of 10^7 in the middle. */
function roomSeqs(first: number): number[] {
  const seqs: number[] = [];
  let seq = first;
  for (let i = 0; i < 400; i += 1) {
    seqs.push(seq);
    seq += i % 7 === 3 ? 5 : i % 50 === 49 ? 150 : 1; // 150: more than two empty blocks in a row
    if (i === 250) seq += 10_000_000;
  }
  return seqs;
}

const seqsOf = (messages: Message[]) => messages.map((m) => m.seq);

beforeAll(async () => {
  service = await startService(iso(), { consume: false });
  byBlock = createMongoMessageStore(service.mongo);
  await byBlock.ensureIndexes();
  // Its own connection, never backfilled: every page by range.
  rangeConn = await connectMongo({ url: iso().mongoUrl, dbName: service.mongo.name, appName: 'range', log });
  byRange = createMongoMessageStore(rangeConn);
});

afterAll(async () => {
  await rangeConn?.close();
  await service?.close();
});

describe('history pages by seq block', () => {
  it('answers every `before` and newest page exactly as the range query does', async () => {
    const room = 'blocks-gaps';
    // A clock-floor first seq, as Redis hands out to a new room, not aligned to a block.
    const seqs = roomSeqs(177_000_000_000_013);
    const messages = seqs.map((seq) => makeMessage({ roomId: room, seq }));
    for (let i = 0; i < messages.length; i += 97) await byBlock.writeBatch(asEvents(messages.slice(i, i + 97)));
    await byBlock.backfillSeqBlocks(log);

    const cursors = [
      seqs[0]!,
      seqs[1]!,
      seqs[60]!,
      seqs[251]!, // right above the jump: the page crosses it
      seqs[252]! + 3,
      seqs[399]!,
      seqs[399]! + 1,
      seqs[399]! + 100 * SEQ_BLOCK_SIZE, // far above the room's last message
      seqs[0]! - 1_000_000, // below the room's floor
      1,
    ];
    const top = seqs[399]!;
    /** The page by block (with the room's stored-max mark) equals the page by range, whole. */
    const expectSame = async (query: PageQuery) => {
      const [block, range] = await Promise.all([
        byBlock.findPage(room, { ...query, storedMax: top }),
        byRange.findPage(room, query),
      ]);
      expect({ query, page: block }).toEqual({ query, page: range });
    };
    for (const limit of [1, 50, 100]) {
      for (const before of cursors) await expectSame({ before, limit });
      await expectSame({ limit }); // the newest page
    }
    // And the range answers are what the room holds (not two equal wrong answers).
    const page = await byBlock.findPage(room, { before: seqs[253]!, limit: 5 }); // across the jump
    expect(seqsOf(page.messages)).toEqual(seqs.slice(248, 253));
    expect(page.hasMore).toBe(true);
    expect((await byBlock.findPage(room, { before: seqs[2]!, limit: 50 })).hasMore).toBe(false);
  });

  it('reads nothing for a room with nothing stored', async () => {
    await byBlock.backfillSeqBlocks(log);
    expect(await byBlock.findPage('blocks-empty', { before: 1_000, limit: 50 })).toEqual({
      messages: [],
      hasMore: false,
    });
  });

  it('backfills messages stored before blocks, and their rooms floors, then records the migration', async () => {
    const room = 'blocks-legacy';
    const model = messageModel(service.mongo);
    const legacy = Array.from({ length: 130 }, (_, i) => makeMessage({ roomId: room, seq: 1_000 + i }));
    const withoutBlock = legacy.map((m) => {
      const { seqBlock: _, ...doc } = toDoc(m);
      return doc;
    });
    await model.collection.insertMany(withoutBlock as never[]);
    await service.mongo.db!.collection(MIGRATION_COLLECTION).deleteOne({ _id: SEQ_BLOCKS_MIGRATION as never });
    expect(await model.countDocuments({ seqBlock: seqBlockOf(room, 1_000) })).toBe(0);

    // A process started on this database (its own connection): not migrated yet, so it reads by
    // range, and finds the legacy messages.
    const conn = await connectMongo({ url: iso().mongoUrl, dbName: service.mongo.name, appName: 'fresh', log });
    const fresh = createMongoMessageStore(conn);
    expect(seqsOf((await fresh.findPage(room, { before: 1_010, limit: 3 })).messages)).toEqual([1_007, 1_008, 1_009]);
    await fresh.backfillSeqBlocks(log);

    expect(await model.countDocuments({ seqBlock: seqBlockOf(room, 1_000) })).toBe(24); // 1000..1023
    const floor = await service.mongo.db!.collection(SEQ_FLOOR_COLLECTION).findOne({ _id: room as never });
    expect(floor?.seq).toBe(1_000);
    expect(
      await service.mongo.db!.collection(MIGRATION_COLLECTION).countDocuments({ _id: SEQ_BLOCKS_MIGRATION as never }),
    ).toBe(1);
    const page = await fresh.findPage(room, { before: 1_129, limit: 100 });
    expect(seqsOf(page.messages)).toEqual(Array.from({ length: 100 }, (_, i) => 1_029 + i));
    expect(page.hasMore).toBe(true);
    expect(seqsOf((await fresh.findPage(room, { before: 1_002, limit: 100 })).messages)).toEqual([1_000, 1_001]);
    await conn.close();
  });

  it('keeps a message found in its block when it moves to a newer seq', async () => {
    const room = 'blocks-moved';
    const messages = Array.from({ length: 3 }, (_, i) => makeMessage({ roomId: room, seq: 10 + i }));
    await byBlock.writeBatch(asEvents(messages));
    const moved = { ...messages[0]!, seq: 10 + 3 * SEQ_BLOCK_SIZE };
    expect(await byBlock.moveToNewerSeq(moved, 10)).toBe(true);
    expect(seqsOf((await byBlock.findPage(room, { before: 1_000, limit: 50 })).messages)).toEqual([11, 12, moved.seq]);
  });

  it('lowers a room floor before its messages are written, never raises it', async () => {
    const room = 'blocks-floor';
    const floors = service.mongo.db!.collection(SEQ_FLOOR_COLLECTION);
    await byBlock.writeBatch(asEvents([makeMessage({ roomId: room, seq: 500 })]));
    expect((await floors.findOne({ _id: room as never }))?.seq).toBe(500);
    await byBlock.writeBatch(asEvents([makeMessage({ roomId: room, seq: 700 })]));
    // A late message below the floor (a redelivery after a newer one was stored), from another instance too.
    await createMongoMessageStore(service.mongo).writeBatch(asEvents([makeMessage({ roomId: room, seq: 90 })]));
    expect((await floors.findOne({ _id: room as never }))?.seq).toBe(90);
    expect(seqsOf((await byBlock.findPage(room, { before: 701, limit: 50 })).messages)).toEqual([90, 500, 700]);
  });

  it('counts unread messages and mentions by block exactly as the aggregation does', async () => {
    const members = createMongoMembershipStore(service.mongo);
    const reader = 'reader-id';
    const rooms = ['count-a', 'count-b'];
    const seqs = roomSeqs(177_000_000_000_500);
    for (const roomId of rooms) {
      const messages = seqs.map((seq, i) =>
        makeMessage({
          roomId,
          seq,
          senderId: i % 5 === 0 ? reader : `sender-${i % 3}`,
          ...(i % 11 === 0 ? { mentions: ['reader'] } : i % 13 === 0 ? { mentions: ['someone'] } : {}),
          ...(i % 17 === 0 ? { text: '', deletedAt: new Date().toISOString() } : {}),
        }),
      );
      await byBlock.writeBatch(asEvents(messages));
    }
    await byBlock.backfillSeqBlocks(log);
    const top = seqs[399]!;
    const summaries = blockSummaries(service.redis, iso().redisPrefix);
    const countBy = (how: 'range' | 'block' | 'summaries', after: number) =>
      members.countUnread(
        reader,
        'reader',
        rooms.map((roomId) => ({ roomId, after, ...(how === 'range' ? {} : { top }) })),
        how === 'summaries' ? summaries : undefined,
      );
    for (const after of [0, seqs[0]! - 1, seqs[0]!, seqs[100]!, seqs[250]!, seqs[251]!, seqs[398]!, top]) {
      const byRangeCounts = Object.fromEntries(await countBy('range', after));
      expect({ after, counts: Object.fromEntries(await countBy('block', after)) }).toEqual({
        after,
        counts: byRangeCounts,
      });
      // Summaries cold for the blocks above this marker not walked before, then warm: the warm
      // count reads no block from MongoDB (below the seq jump, the aggregation still counts).
      expect({ after, counts: Object.fromEntries(await countBy('summaries', after)) }).toEqual({
        after,
        counts: byRangeCounts,
      });
      const warm = await mongoCommands(service.mongo, () => countBy('summaries', after));
      expect({ after, counts: Object.fromEntries(warm.result) }).toEqual({ after, counts: byRangeCounts });
      expect(warm.commands.filter((c) => c === 'messages.find')).toEqual([]);
    }
    // Not two equal wrong answers: the whole room, by hand.
    const all = await members.countUnread(reader, 'reader', [{ roomId: 'count-a', after: 0, top }]);
    const others = seqs.filter((_, i) => i % 5 !== 0 && i % 17 !== 0);
    const mentioned = seqs.filter((_, i) => i % 5 !== 0 && i % 17 !== 0 && i % 11 === 0);
    expect(all.get('count-a')).toEqual({ unread: others.length, mentions: mentioned.length });
  });
});
