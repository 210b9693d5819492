import { forEachInFlight, WRITES_IN_FLIGHT, type Logger } from '@chat/service-kit';
import { Schema, type Connection, type Model, type ProjectionType } from 'mongoose';
import { messageModel, type MessageDoc } from './message-model.js';
import { markMigrated, migrated } from './migrations.js';

/**
 * Seq blocks: every stored message carries `seqBlock` = `<roomId>:<floor(seq / 64)>`, so a
 * history page is read as a few equality lookups of at most 64 documents each instead of one
 * range query sorted by seq. FerretDB 1.x pushes neither `$lt` nor the sort nor the limit
 * down to PostgreSQL: `find({roomId, seq: {$lt}}).sort({seq: -1}).limit(51)` reads every
 * message of the room into Go and sorts it (about 0.45 s for a 10,000-message room), while an
 * equality on `seqBlock` is one GIN index probe (docs/history-pages.md). MongoDB serves both
 * from an index.
 */
export const SEQ_BLOCK_SIZE = 64;

/** The block a seq falls in: seqs are at most 15 digits, so the quotient is an exact integer. */
export const blockOf = (seq: number): number => Math.floor(seq / SEQ_BLOCK_SIZE);

export const seqBlockKey = (roomId: string, block: number): string => `${roomId}:${block}`;

export const seqBlockOf = (roomId: string, seq: number): string => seqBlockKey(roomId, blockOf(seq));

/**
 * Per room, a seq at or below every stored message of it: a page walking down its blocks
 * stops there instead of probing empty blocks to the beginning of time (a room's first seq is
 * Redis's clock, docs/sequences.md). Lowered before the messages are written (`$min`), so it
 * is never above a stored seq, whatever fails in between.
 */
interface SeqFloorDoc {
  _id: string;
  seq: number;
}

export const SEQ_FLOOR_COLLECTION = 'room_seq_floors';
export const SEQ_BLOCKS_MIGRATION = 'message-seq-blocks';

const floorSchema = new Schema<SeqFloorDoc>(
  { _id: { type: String }, seq: { type: Number, required: true } },
  { versionKey: false, bufferCommands: false },
);

/** Floors known written by this process; past this many rooms it starts afresh (one more write each). */
const FLOORS_REMEMBERED = 100_000;

/** The rooms' seq floors (point reads and writes by `_id` only). */
export class SeqFloors {
  private readonly model: Model<SeqFloorDoc>;
  private readonly written = new Map<string, number>();

  constructor(conn: Connection) {
    this.model =
      (conn.models.SeqFloor as Model<SeqFloorDoc> | undefined) ??
      conn.model<SeqFloorDoc>('SeqFloor', floorSchema, SEQ_FLOOR_COLLECTION);
  }

  /** Lowers each room's floor to the lowest of `seqs` (room → lowest seq about to be written). */
  async lower(lowest: Map<string, number>): Promise<void> {
    const needed = [...lowest].filter(([roomId, seq]) => !((this.written.get(roomId) ?? Infinity) <= seq));
    await forEachInFlight(needed, WRITES_IN_FLIGHT, async ([roomId, seq]) => {
      await this.model.updateOne({ _id: roomId }, { $min: { seq } }, { upsert: true });
      if (this.written.size >= FLOORS_REMEMBERED) this.written.clear();
      this.written.set(roomId, Math.min(seq, this.written.get(roomId) ?? Infinity));
    });
  }

  /** The room's floor, or null when no message of it was stored with a block. */
  async of(roomId: string): Promise<number | null> {
    const doc = await this.model.findOne({ _id: roomId }, { seq: 1 }).lean<SeqFloorDoc>();
    return doc?.seq ?? null;
  }
}

/** Each room's lowest seq among `messages`. */
export function lowestSeqs(messages: readonly { roomId: string; seq: number }[]): Map<string, number> {
  const lowest = new Map<string, number>();
  for (const m of messages) lowest.set(m.roomId, Math.min(m.seq, lowest.get(m.roomId) ?? Infinity));
  return lowest;
}

/** Whether every stored message carries its block (the backfill below finished once). */
export async function seqBlocksComplete(conn: Connection): Promise<boolean> {
  return migrated(conn, SEQ_BLOCKS_MIGRATION);
}

/**
 * Gives every message stored before seq blocks its `seqBlock` and its room a floor, then
 * records the migration as done; until then pages are read the old way. Reads the whole
 * collection once (one unsorted cursor: FerretDB sorts in memory) and writes only what lacks a block; run again after an
 * interruption, it picks up where the data is. Messages written meanwhile by this version
 * carry their block already; one written by an older message-service still running would not,
 * so stop those before upgrading (docs/history-pages.md).
 */
async function backfillSeqBlocks(
  conn: Connection,
  messages: Model<MessageDoc>,
  floors: SeqFloors,
  log: Logger,
): Promise<void> {
  if (await seqBlocksComplete(conn)) return;
  const lowest = new Map<string, number>();
  let pending: { _id: string; seq: number; seqBlock: string }[] = [];
  let updated = 0;
  const flush = async () => {
    const batch = pending;
    pending = [];
    // The seq guard: a message moved to a newer seq meanwhile got its new block with the move.
    await forEachInFlight(batch, WRITES_IN_FLIGHT, async ({ _id, seq, seqBlock }) => {
      await messages.updateOne({ _id, seq }, { $set: { seqBlock } });
    });
    updated += batch.length;
  };
  const cursor = messages
    .find({}, { _id: 1, roomId: 1, seq: 1, seqBlock: 1 })
    .lean<Pick<MessageDoc, '_id' | 'roomId' | 'seq' | 'seqBlock'>[]>()
    .cursor({ batchSize: 1000 });
  for await (const doc of cursor) {
    lowest.set(doc.roomId, Math.min(doc.seq, lowest.get(doc.roomId) ?? Infinity));
    const seqBlock = seqBlockOf(doc.roomId, doc.seq);
    if (doc.seqBlock !== seqBlock) pending.push({ _id: doc._id, seq: doc.seq, seqBlock });
    if (pending.length >= 1000) await flush();
  }
  await flush();
  await floors.lower(lowest);
  await markMigrated(conn, SEQ_BLOCKS_MIGRATION);
  log.info({ updated, rooms: lowest.size }, 'seq blocks backfilled: history pages read by block');
}

/** Blocks read at once, first and at most: two blocks hold a page of 50 in a room of mostly messages. */
const FIRST_BLOCKS = 2;
const MOST_BLOCKS = 8;
/**
 * Empty blocks in a row after which a walk gives up: the room's seq jumped there (Redis lost its
 * state and the seq restarted from its clock, docs/sequences.md), and probing the gap block by
 * block would cost more than FerretDB's room-wide query.
 */
const EMPTY_BLOCKS_MAX = 32;

/**
 * The seq blocks of one database connection: whether every stored message carries its block
 * (after the backfill), the rooms' floors, and walks over a room's blocks. One per connection,
 * so the message store (pages) and the membership store (unread counts) share the backfill.
 */
export class SeqBlocks {
  readonly floors: SeqFloors;
  private readonly messages: Model<MessageDoc>;
  private complete = false;

  constructor(private readonly conn: Connection) {
    this.floors = new SeqFloors(conn);
    this.messages = messageModel(conn);
  }

  /** Whether reads may go by block: every stored message carries one. */
  get ready(): boolean {
    return this.complete;
  }

  /** Backfills what was stored before blocks, once (idempotent), then lets reads go by block. */
  async backfill(log: Logger): Promise<void> {
    await backfillSeqBlocks(this.conn, this.messages, this.floors, log);
    this.complete = true;
  }

  /**
   * Reads the room's blocks from `from` down to `lowest` (walkBlocksDown) and hands each block's
   * documents (highest seq first) to `take`, block after block, until it returns true.
   */
  walkDown(
    roomId: string,
    from: number,
    lowest: number,
    take: (docs: MessageDoc[]) => boolean,
  ): Promise<number | null> {
    return walkBlocksDown(
      from,
      lowest,
      async (block) => (await this.readBlock(roomId, block)).sort((x, y) => y.seq - x.seq),
      (docs) => docs.length === 0,
      take,
    );
  }

  /** The documents of one block (unsorted), with `projection`'s fields. */
  readBlock(roomId: string, block: number, projection: ProjectionType<MessageDoc> = { _id: 0 }): Promise<MessageDoc[]> {
    return this.messages
      .find({ seqBlock: seqBlockKey(roomId, block) }, projection)
      .lean<MessageDoc[]>()
      .exec();
  }
}

/**
 * Reads blocks from `from` down to `lowest` with `read`, a few at once, and hands each block's
 * contents and number to `take`, block after block, until it returns true. Resolves with null when `take`
 * was satisfied or every block was read, or with the highest block not read when
 * EMPTY_BLOCKS_MAX blocks in a row were empty: the caller reads the rest by range. Where the
 * blocks come from (MongoDB, or summaries of them: block-summaries.ts) changes nothing of where
 * a walk stops.
 */
export async function walkBlocksDown<T>(
  from: number,
  lowest: number,
  read: (block: number) => Promise<T>,
  isEmpty: (contents: T) => boolean,
  take: (contents: T, block: number) => boolean,
): Promise<number | null> {
  let block = from;
  let width = FIRST_BLOCKS;
  let emptyInRow = 0;
  while (block >= lowest) {
    if (emptyInRow >= EMPTY_BLOCKS_MAX) return block;
    const blocks = Array.from({ length: Math.min(width, block - lowest + 1) }, (_, i) => block - i);
    const found = await Promise.all(blocks.map(read));
    for (const [i, contents] of found.entries()) {
      emptyInRow = isEmpty(contents) ? emptyInRow + 1 : 0;
      if (take(contents, blocks[i]!)) return null;
    }
    block -= blocks.length;
    width = Math.min(width * 2, MOST_BLOCKS);
  }
  return null;
}

const perConnection = new WeakMap<Connection, SeqBlocks>();

/** The connection's SeqBlocks (one per connection: tests hold several). */
export function seqBlocksOf(conn: Connection): SeqBlocks {
  let blocks = perConnection.get(conn);
  if (!blocks) perConnection.set(conn, (blocks = new SeqBlocks(conn)));
  return blocks;
}
