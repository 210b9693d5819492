import { MEMBERS_MAX, type MembershipQueueEvent, type MemberQueueEvent } from '@chat/contracts';
import { forEachInFlight, isDuplicateKeyError, WRITES_IN_FLIGHT } from '@chat/service-kit';
import type { Connection, Model } from 'mongoose';
import { messageModel, type MessageDoc } from './message-model.js';
import { rethrowUnavailable } from './message-store.js';
import { blockOf, SEQ_BLOCK_SIZE, seqBlocksOf, walkBlocksDown, type SeqBlocks } from './seq-blocks.js';
import { countUnreadIn, isEmptyBlock, summarise, SUMMARISED_FIELDS, type BlockSummaries } from './block-summaries.js';
import { membershipId, membershipModel, roomModel, type MembershipDoc, type RoomDoc } from './membership-model.js';

/** Memberships, read markers and room state (DESIGN.md §3.3): written by the consumer, read by the routes. */
export interface MembershipStore {
  ensureIndexes(): Promise<void>;
  /**
   * Applies membership events (only over an older `changedAt`) and read markers (`$max`),
   * upserting. Throws when any write fails, after the others settled; the caller decides from
   * the error (write-errors.ts) whether to retry or to isolate the event. Writing again is harmless.
   */
  applyMemberEvents(events: MemberQueueEvent[]): Promise<void>;
  /** Raises each room's state (lastSeq, lastMessage) to the given one (room-states.ts `statesFrom`); never lowers it. */
  recordActivity(states: RoomDoc[]): Promise<void>;
  /** The caller's memberships (one query, whatever their number). */
  joinedRooms(userId: string): Promise<JoinedRoom[]>;
  /** The state of these rooms that have one (one query). */
  roomStates(roomIds: string[]): Promise<RoomDoc[]>;
  /**
   * Per room, the messages from others than `userId` after `after` that are not deleted, and
   * how many of them mention `username`. A room with `top` (a seq at or above everything
   * stored in it, the stored-max mark) is counted block by block down to `after` once seq blocks
   * are complete (seq-blocks.ts), each block from its summary in `summaries` when current
   * (block-summaries.ts); the others in one aggregation, whatever their number.
   */
  countUnread(
    userId: string,
    username: string,
    rooms: UnreadQuery[],
    summaries?: BlockSummaries,
  ): Promise<Map<string, UnreadCounts>>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  /** The room's members, longest-standing first, at most MEMBERS_MAX. */
  membersOf(roomId: string): Promise<MembershipDoc[]>;
}

export function createMongoMembershipStore(conn: Connection): MembershipStore {
  const memberships = membershipModel(conn);
  const rooms = roomModel(conn);
  const messages = messageModel(conn);
  return {
    ensureIndexes: async () => {
      await memberships.init();
      await rooms.init();
    },
    applyMemberEvents: (events) => applyMemberEvents(memberships, events),
    recordActivity: (states) => recordActivity(rooms, states),
    joinedRooms: (userId) =>
      memberships
        .find({ userId, member: true }, { _id: 0, roomId: 1, lastReadSeq: 1, joinedAt: 1 })
        .lean<JoinedRoom[]>()
        .catch(rethrowUnavailable),
    roomStates: (roomIds) =>
      rooms
        .find({ _id: { $in: roomIds } })
        .lean<RoomDoc[]>()
        .catch(rethrowUnavailable),
    countUnread: (userId, username, behind, summaries) =>
      countUnread(messages, seqBlocksOf(conn), summaries, userId, username, behind).catch(rethrowUnavailable),
    isMember: async (roomId, userId) =>
      (await memberships.exists({ _id: membershipId(roomId, userId), member: true }).catch(rethrowUnavailable)) !==
      null,
    membersOf: (roomId) =>
      memberships
        .find({ roomId, member: true })
        .sort({ joinedAt: 1, userId: 1 })
        .limit(MEMBERS_MAX)
        .lean<MembershipDoc[]>()
        .catch(rethrowUnavailable),
  };
}

// ---- writes (the consumer's batch path) ----

/** The events of one (room, user): only its newest membership event and its highest read marker are written. */
interface MemberWrites {
  roomId: string;
  userId: string;
  membership?: MembershipQueueEvent['membership'];
  readSeq?: number;
}

async function applyMemberEvents(model: Model<MembershipDoc>, events: MemberQueueEvent[]): Promise<void> {
  const byPair = new Map<string, MemberWrites>();
  for (const event of events) {
    const { roomId, userId } = event.type === 'membership' ? event.membership : event.read;
    const id = membershipId(roomId, userId);
    const writes = byPair.get(id) ?? { roomId, userId };
    byPair.set(id, writes);
    if (event.type === 'membership') {
      // Strictly newer, as in the store: of equal `at`s the first applied stays, in a batch or across batches.
      if (writes.membership === undefined || event.membership.at > writes.membership.at)
        writes.membership = event.membership;
    } else writes.readSeq = Math.max(writes.readSeq ?? 0, event.read.seq);
  }
  let failure: unknown = null;
  // One pair at a time per pair (membership, then marker): two upserts of one new pair at once would collide.
  await forEachInFlight([...byPair.values()], WRITES_IN_FLIGHT, async (w) => {
    try {
      if (w.membership) await applyMembership(model, w.membership);
      if (w.readSeq !== undefined) await applyReadMarker(model, w.roomId, w.userId, w.readSeq);
    } catch (err) {
      failure ??= err;
    }
  });
  if (failure !== null) throw failure;
}

/**
 * Applied only over an older `changedAt`. Usually one command: chat-service publishes a
 * membership event when a user joins, leaves, or is added to a direct room by its first
 * message; one for a user already a member moves `changedAt` only. A (re)join also sets `joinedAt`; an insert that collides with a stored
 * document means that one is newer (or was inserted meanwhile: tried once more without upsert).
 */
async function applyMembership(model: Model<MembershipDoc>, m: MembershipQueueEvent['membership']): Promise<void> {
  const _id = membershipId(m.roomId, m.userId);
  const newer = { _id, changedAt: { $lt: m.at } };
  const set: Partial<MembershipDoc> = { member: m.member, changedAt: m.at };
  if (m.displayName !== undefined) set.displayName = m.displayName;
  if (m.member && (await model.updateOne({ ...newer, member: true }, { $set: set })).matchedCount > 0) return;
  const joinedAt = new Date(m.at);
  const update = m.member
    ? { $set: { ...set, joinedAt }, $setOnInsert: { roomId: m.roomId, userId: m.userId, lastReadSeq: 0 } }
    : { $set: set, $setOnInsert: { roomId: m.roomId, userId: m.userId, lastReadSeq: 0, joinedAt } };
  try {
    await model.updateOne(newer, update, { upsert: true });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await model.updateOne(newer, m.member ? { $set: { ...set, joinedAt } } : { $set: set });
  }
}

/** `$max` upsert: the marker never moves back. A document it creates is no membership until a membership event says so. */
async function applyReadMarker(model: Model<MembershipDoc>, roomId: string, userId: string, seq: number) {
  const write = () =>
    model.updateOne(
      { _id: membershipId(roomId, userId) },
      {
        $max: { lastReadSeq: seq },
        $setOnInsert: { roomId, userId, member: false, changedAt: 0, joinedAt: new Date() },
      },
      { upsert: true },
    );
  try {
    await write();
  } catch (err) {
    // Inserted meanwhile by another writer: now it is there to raise.
    if (!isDuplicateKeyError(err)) throw err;
    await write();
  }
}

/**
 * Per room, one conditional update in the usual case: the state's message replaces
 * `lastMessage` only when it is newer (seq, then version) than the stored one, and `lastSeq`
 * only rises. A stale or first write takes a second command (an upsert that keeps what is stored),
 * and a stale one a third (the conditional update again, in case another writer created the room
 * between the first two). Stale writes are rare: redelivery, an edit of an older message.
 * `updateOne`, not `findOneAndUpdate`: nothing is read back (on FerretDB the latter costs more).
 */
async function recordActivity(model: Model<RoomDoc>, states: RoomDoc[]): Promise<void> {
  await forEachInFlight(states, WRITES_IN_FLIGHT, async ({ _id, lastSeq, ...message }) => {
    const newer = {
      _id,
      $or: [
        { lastMessageSeq: { $lt: message.lastMessageSeq } },
        { lastMessageSeq: message.lastMessageSeq, lastMessageVersion: { $lt: message.lastMessageVersion } },
      ],
    };
    const raise = () => model.updateOne(newer, { $set: message, $max: { lastSeq } });
    if ((await raise()).matchedCount > 0) return;
    // No room yet, or one at least as new: create it with ours, or keep its message.
    const keep = () => model.updateOne({ _id }, { $max: { lastSeq }, $setOnInsert: message }, { upsert: true });
    let inserted: boolean;
    try {
      inserted = (await keep()).upsertedCount > 0;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      inserted = (await keep()).upsertedCount > 0;
    }
    // The room was there: it holds a newer message (the usual stale write), or another writer
    // created it between our two updates (a room's first messages, two consumers) with an older
    // one, which ours must still replace.
    if (!inserted) await raise();
  });
}

// ---- the room list ----

export type JoinedRoom = Pick<MembershipDoc, 'roomId' | 'lastReadSeq' | 'joinedAt'>;

export interface UnreadCounts {
  unread: number;
  mentions: number;
}

export interface UnreadQuery {
  roomId: string;
  after: number;
  top?: number | undefined;
}

/** One row of the count: messages of a room sharing one `mentions` list. */
interface UnreadGroup {
  _id: { roomId: string; mentions?: string[] };
  n: number;
}

/** Rooms counted by block at once (each walk reads up to 8 blocks at once). */
const ROOMS_COUNTED_AT_ONCE = 4;
/**
 * Blocks of a room, from its last, whose summaries are looked up in Redis: 8,192 seqs, more
 * unread than a room list shows (999). Blocks below are read from MongoDB, not summarised.
 */
const SUMMARISED_BLOCKS_MAX = 128;

/**
 * Rooms with a `top` block by block while blocks are complete (on FerretDB a room's blocks are
 * GIN probes of at most 64 documents, where a range count reads the whole room into Go), down to
 * the room's floor or `after`, each block from its summary in Redis when `summaries` holds a
 * current one (block-summaries.ts), else from MongoDB and then summarised; the rest, and what lies
 * below a seq jump, in one aggregation.
 */
async function countUnread(
  model: Model<MessageDoc>,
  blocks: SeqBlocks,
  summaries: BlockSummaries | undefined,
  userId: string,
  username: string,
  rooms: UnreadQuery[],
): Promise<Map<string, UnreadCounts>> {
  const counts = new Map<string, UnreadCounts>();
  const byBlock: (UnreadQuery & { top: number })[] = [];
  const byRange: UnreadRange[] = [];
  for (const r of rooms) {
    if (blocks.ready && r.top !== undefined) byBlock.push({ ...r, top: r.top });
    else byRange.push(r);
  }
  // The blocks a walk may read, from the last seq's down to the marker's: the room's floor, which
  // may stop it higher, comes with them (or from MongoDB when Redis has no copy of it).
  const loaded = await summaries?.load(
    byBlock.map(({ roomId, after, top }) => ({
      roomId,
      blocks: Array.from(
        { length: Math.min(blockOf(top) - blockOf(after + 1) + 1, SUMMARISED_BLOCKS_MAX) },
        (_, i) => blockOf(top) - i,
      ),
    })),
  );
  /** Each room's blocks to walk, from its last seq's down to its floor's or its marker's. */
  const walks: { roomId: string; after: number; from: number; lowest: number }[] = [];
  await forEachInFlight(byBlock, ROOMS_COUNTED_AT_ONCE, async ({ roomId, after, top }) => {
    let floorBlock = loaded?.floorBlock(roomId);
    if (floorBlock === undefined) {
      const floor = await blocks.floors.of(roomId);
      if (floor === null) return;
      floorBlock = blockOf(floor);
      loaded?.putFloorBlock(roomId, floorBlock);
    }
    walks.push({ roomId, after, from: blockOf(top), lowest: Math.max(blockOf(after + 1), floorBlock) });
  });
  await forEachInFlight(walks, ROOMS_COUNTED_AT_ONCE, async ({ roomId, after, from, lowest }) => {
    const reader = { userId, username, after };
    const room = { unread: 0, mentions: 0 };
    const summaryOf = async (block: number) => {
      const cached = loaded?.get(roomId, block);
      if (cached) return cached;
      const summary = summarise(block, await blocks.readBlock(roomId, block, SUMMARISED_FIELDS));
      loaded?.put(roomId, block, summary);
      return summary;
    };
    const gap = await walkBlocksDown(from, lowest, summaryOf, isEmptyBlock, (summary, block) => {
      countUnreadIn(block, summary, reader, room);
      return false;
    });
    if (room.unread > 0) counts.set(roomId, room);
    if (gap !== null) byRange.push({ roomId, after, below: (gap + 1) * SEQ_BLOCK_SIZE });
  });
  await loaded?.save();
  for (const [roomId, c] of await countUnreadByRange(model, userId, username, byRange)) {
    const room = counts.get(roomId) ?? { unread: 0, mentions: 0 };
    counts.set(roomId, { unread: room.unread + c.unread, mentions: room.mentions + c.mentions });
  }
  return counts;
}

interface UnreadRange {
  roomId: string;
  after: number;
  /** Only below this seq (the rest was counted by block). */
  below?: number;
}

/**
 * One `$or` clause per room, each served by the (roomId, seq) index on MongoDB, grouped by
 * room and `mentions` list: FerretDB has no `$cond`, so the lists that name the caller are
 * picked out here rather than summed there. Rooms without a row have nothing unread.
 */
async function countUnreadByRange(
  model: Model<MessageDoc>,
  userId: string,
  username: string,
  rooms: UnreadRange[],
): Promise<Map<string, UnreadCounts>> {
  const counts = new Map<string, UnreadCounts>();
  if (rooms.length === 0) return counts;
  const clauses = rooms.map((r) => ({
    roomId: r.roomId,
    seq: r.below === undefined ? { $gt: r.after } : { $gt: r.after, $lt: r.below },
  }));
  const groups = await model.aggregate<UnreadGroup>([
    {
      $match: {
        // One room (the usual case once counts are cached) without `$or`: FerretDB then reads
        // only that room's messages (roomId equality, GIN). Several: FerretDB scans every message
        // and tries each clause in turn; the `$in` first (redundant for MongoDB, whose planner
        // still bounds each clause by the (roomId, seq) index) turns the other rooms' messages
        // away with one test (3.5 times faster measured, README "Room list").
        ...(clauses.length === 1 ? clauses[0] : { roomId: { $in: rooms.map((r) => r.roomId) }, $or: clauses }),
        senderId: { $ne: userId },
        deletedAt: { $exists: false },
      },
    },
    { $group: { _id: { roomId: '$roomId', mentions: '$mentions' }, n: { $sum: 1 } } },
  ]);
  for (const g of groups) {
    const room = counts.get(g._id.roomId) ?? { unread: 0, mentions: 0 };
    room.unread += g.n;
    if (g._id.mentions?.includes(username)) room.mentions += g.n;
    counts.set(g._id.roomId, room);
  }
  return counts;
}
