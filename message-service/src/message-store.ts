import type { HistoryResponse, Message, RoomEvent } from '@chat/contracts';
import { AppError, DUPLICATE_KEY, findEachId, forEachInFlight, WRITES_IN_FLIGHT, type Logger } from '@chat/service-kit';
import type { Connection, Model } from 'mongoose';
import { messageModel, SUPERSEDED_INDEXES, type MessageDoc } from './message-model.js';
import { blockOf, lowestSeqs, SEQ_BLOCK_SIZE, seqBlockOf, seqBlocksOf, type SeqBlocks } from './seq-blocks.js';
import { classifyWriteErrorCode, isMongoUnavailable, type WriteFailureKind } from './write-errors.js';

/** One history page request, already validated (limit 1..100, at most one cursor). */
export interface PageQuery {
  limit: number;
  before?: number | undefined;
  after?: number | undefined;
  /** Changed messages: seq ≤ this, version > it (and > `after`, then a version cursor), by version. */
  changedAfter?: number | undefined;
  /**
   * Not from the client: the room's stored-max mark (history-cache.ts), when known. A newest
   * page is then read by block below it, like a `before` page; without it, by range.
   */
  storedMax?: number | undefined;
}

/** What MongoDB did with each document of a batch, by position in the batch. */
export interface InsertOutcome {
  inserted: number;
  /** Refused by a unique index: this message, or another one sharing its key, is stored (see findByUniqueKeys). */
  duplicates: number[];
  /** Refused for another reason. */
  rejected: { index: number; kind: WriteFailureKind; reason: string }[];
}

/** The fields of a stored message that its unique indexes are made of, and its id. */
export type StoredKeys = Pick<Message, 'id' | 'roomId' | 'seq' | 'senderId' | 'clientMsgId'>;

/** Where messages live. Tests wrap it to count or delay reads. */
export interface MessageStore {
  ensureIndexes(): Promise<void>;
  /**
   * Gives messages stored before seq blocks theirs, once (seq-blocks.ts); from then on
   * `before` pages are read by block. Until it has run, every page is read by range.
   */
  backfillSeqBlocks(log: Logger): Promise<void>;
  /**
   * Inserts new messages; applies each change (its full state) only over an older stored
   * version, inserting it when the message is not stored yet (its own insert then comes as a
   * harmless duplicate, judged `same`); a change older than the stored state is taken as
   * stored. Throws when the write failed as a whole, or
   * when its per-document errors do not account for every document (then nothing of the
   * batch may be taken as stored); the caller decides from the error whether to retry or to
   * isolate a document (write-errors.ts). Writing a batch again is always harmless.
   */
  writeBatch(events: Pick<RoomEvent, 'type' | 'message'>[]): Promise<InsertOutcome>;
  /** Stored messages sharing `(roomId, seq)` or `(roomId, senderId, clientMsgId)` with one of `messages`. */
  findByUniqueKeys(messages: Message[]): Promise<StoredKeys[]>;
  /**
   * Moves a stored message to the newer seq a resend of it was acked with (its dedupe record
   * was lost, so it was admitted again): history then holds it where every client saw it last.
   * Only ever forward; false when it is no longer at `fromSeq` (moved already, or another copy).
   */
  moveToNewerSeq(message: Message, fromSeq: number): Promise<boolean>;
  /** Whether MongoDB answers a read now: tells a document it keeps refusing from an outage. */
  isAnswering(): Promise<boolean>;
  findPage(roomId: string, query: PageQuery): Promise<HistoryResponse>;
  /** One message of the room in its current state, or null. */
  findMessage(roomId: string, messageId: string): Promise<Message | null>;
}

export function createMongoMessageStore(conn: Connection): MessageStore {
  const model = messageModel(conn);
  const blocks = seqBlocksOf(conn);
  return {
    ensureIndexes: () => ensureIndexes(model),
    backfillSeqBlocks: (log) => blocks.backfill(log),
    writeBatch: async (events) => {
      // Before the messages: a floor is never above a stored seq (seq-blocks.ts).
      await blocks.floors.lower(lowestSeqs(events.map((e) => e.message)));
      return writeBatch(model, events);
    },
    findByUniqueKeys: (messages) => findByUniqueKeys(model, messages),
    moveToNewerSeq: (message, fromSeq) => moveToNewerSeq(model, message, fromSeq),
    isAnswering: async () => {
      try {
        // Served by the (roomId, seq) index; no room has an empty id.
        await model.exists({ roomId: '' });
        return true;
      } catch {
        return false;
      }
    },
    findPage: (roomId, query) => findPage(model, roomId, query, blocks.ready ? blocks : null).catch(rethrowUnavailable),
    findMessage: (roomId, messageId) => findMessage(model, roomId, messageId).catch(rethrowUnavailable),
  };
}

/**
 * The schema's indexes, and the superseded page index dropped (the unique one serves pages).
 * Building the unique (roomId, seq) index fails on a collection that already holds a reused
 * seq: docs/operations.md says how to find and resolve those before starting.
 */
async function ensureIndexes(model: Model<MessageDoc>): Promise<void> {
  await model.init();
  const existing = await model.collection.indexes();
  for (const index of existing) {
    if (index.name !== undefined && SUPERSEDED_INDEXES.includes(index.name))
      await model.collection.dropIndex(index.name);
  }
}

async function writeBatch(
  model: Model<MessageDoc>,
  events: Pick<RoomEvent, 'type' | 'message'>[],
): Promise<InsertOutcome> {
  const inserts: number[] = [];
  const changes: number[] = [];
  events.forEach((e, i) => (e.type === 'message' ? inserts : changes).push(i));
  const outcome: InsertOutcome = { inserted: 0, duplicates: [], rejected: [] };
  // Inserts first: a change in the same batch then usually finds its message stored.
  for (const [positions, write] of [
    [inserts, insertMessages],
    [changes, applyChanges],
  ] as const) {
    if (positions.length === 0) continue;
    const part = await write(
      model,
      positions.map((i) => events[i]!.message),
    );
    outcome.inserted += part.inserted;
    outcome.duplicates.push(...part.duplicates.map((i) => positions[i]!));
    outcome.rejected.push(...part.rejected.map((r) => ({ ...r, index: positions[r.index]! })));
  }
  return outcome;
}

async function insertMessages(model: Model<MessageDoc>, messages: Message[]): Promise<InsertOutcome> {
  const docs = messages.map(toDoc);
  try {
    await model.insertMany(docs, { ordered: false, lean: true });
    return { inserted: docs.length, duplicates: [], rejected: [] };
  } catch (err) {
    const outcome = perDocumentOutcome(err, docs.length);
    if (outcome === null) throw err;
    return outcome;
  }
}

/**
 * Each change replaces the stored state only when it is newer (`version` below its own, or
 * none: stored before versions, read as seq, and a change is always above its seq), so
 * redelivery, reordering and restarts never move a message backwards. A change whose message
 * is not stored at all (its insert still on the way, or dead-lettered) is inserted as is; the
 * insert is then refused as a duplicate when another copy got there first, judged like any.
 *
 * One update per command, a few at a time, no upsert: FerretDB (1.x, PostgreSQL backend)
 * holds a pool connection for every statement of a multi-statement update until the command
 * ends, so a bulkWrite of ~50 changes exhausts its pool (50) and stalls the whole server
 * (measured: one 60-statement update command hangs it; 60 single updates do not).
 * Limitation: with several message-service instances, two changes of one message written
 * at the same moment by two of them could still interleave on FerretDB (MongoDB applies
 * the conditional replace atomically); one consumer per queue is the safe setup there.
 */
async function applyChanges(model: Model<MessageDoc>, messages: Message[]): Promise<InsertOutcome> {
  // Only the newest change of a message in the batch is written (the others are outdated by
  // it), and never two writes of one message at once: FerretDB does not apply a conditional
  // update atomically against a concurrent one.
  const newest = new Map<string, number>();
  messages.forEach((m, i) => {
    const held = newest.get(m.id);
    if (held === undefined || messages[held]!.version < m.version) newest.set(m.id, i);
  });
  const outdated = new Array<boolean>(messages.length).fill(true);
  for (const i of newest.values()) outdated[i] = false;
  const matched = [...outdated];
  await forEachInFlight([...newest.values()], WRITES_IN_FLIGHT, async (i) => {
    const m = messages[i]!;
    const filter = { _id: m.id, $or: [{ version: { $lt: m.version } }, { version: { $exists: false } }] };
    matched[i] = (await model.replaceOne(filter, toDoc(m))).matchedCount > 0;
  });
  const unmatched = messages.filter((_, i) => !matched[i]).map((m) => m.id);
  const stored = new Set((await findByIds(model, unmatched, {}, { _id: 1 })).map((d) => d._id));
  const missing = messages.flatMap((m, i) => (matched[i] || stored.has(m.id) ? [] : [i]));
  if (missing.length === 0) return { inserted: messages.length, duplicates: [], rejected: [] };
  const part = await insertMessages(
    model,
    missing.map((i) => messages[i]!),
  );
  return {
    inserted: messages.length - missing.length + part.inserted,
    duplicates: part.duplicates.map((k) => missing[k]!),
    rejected: part.rejected.map((r) => ({ ...r, index: missing[r.index]! })),
  };
}

interface WriteErrorLike {
  code?: number;
  index?: number;
  errmsg?: string;
  /** mongoose wraps the driver's WriteError as `{err, index}`. */
  err?: WriteErrorLike;
}

interface BulkErrorLike {
  writeErrors?: WriteErrorLike | WriteErrorLike[];
  result?: { insertedCount?: number };
}

/**
 * The per-document outcome of a failed unordered insertMany, or null when the error does not
 * account for every document: no per-document errors at all (FerretDB reports PostgreSQL's
 * refusal of one document as a command error, having stored some of the batch and not tried
 * the rest), an error without a usable position (mongoose maps a missing server `index` to
 * undefined), or inserted + refused short of the batch. Taking the unaccounted documents as
 * stored would ack messages that are not in MongoDB.
 */
export function perDocumentOutcome(err: unknown, size: number): InsertOutcome | null {
  const { writeErrors: list, result } = (err ?? {}) as BulkErrorLike;
  if (list === undefined) return null;
  const errors = (Array.isArray(list) ? list : [list]).map((w) => ({
    code: w.code ?? w.err?.code,
    index: w.err?.index ?? w.index,
    message: w.errmsg ?? w.err?.errmsg ?? 'write rejected',
  }));
  const positions = new Set(errors.map((e) => e.index));
  const everyPositionValid = errors.every((e) => Number.isInteger(e.index) && e.index! >= 0 && e.index! < size);
  const inserted = result?.insertedCount;
  if (
    errors.length === 0 ||
    !everyPositionValid ||
    positions.size !== errors.length ||
    inserted === undefined ||
    inserted + errors.length !== size
  )
    return null;
  const outcome: InsertOutcome = { inserted, duplicates: [], rejected: [] };
  for (const e of errors) {
    if (e.code === DUPLICATE_KEY) outcome.duplicates.push(e.index!);
    else outcome.rejected.push({ index: e.index!, kind: classifyWriteErrorCode(e.code, e.message), reason: e.message });
  }
  return outcome;
}

/** A Message as stored: `_id` is its id, timestamps are Dates. */
export function toDoc(m: Message): MessageDoc {
  const { editedAt, deletedAt, ...rest } = m;
  const doc: MessageDoc = {
    ...rest,
    _id: m.id,
    seqBlock: seqBlockOf(m.roomId, m.seq),
    createdAt: new Date(m.createdAt),
  };
  // Absent stays absent (the driver would store an undefined as null).
  if (editedAt !== undefined) doc.editedAt = new Date(editedAt);
  if (deletedAt !== undefined) doc.deletedAt = new Date(deletedAt);
  if (m.attachments?.length) doc.attachmentIds = m.attachments.map((a) => a.id);
  return doc;
}

const KEYS_ONLY = { _id: 0, id: 1, roomId: 1, seq: 1, senderId: 1, clientMsgId: 1 } as const;

/**
 * First by primary key (a redelivery, the usual duplicate), then, for
 * the few left, by each unique index (a conflict, or a message stored before `_id` was its
 * id). One query per message rather than one `$or` of them all: FerretDB scans for every
 * clause of an `$or` (200 messages took 40 s on the test machine).
 */
async function findByUniqueKeys(model: Model<MessageDoc>, messages: Message[]): Promise<StoredKeys[]> {
  if (messages.length === 0) return [];
  const byId = await findByIds<StoredKeys>(
    model,
    messages.map((m) => m.id),
    {},
    KEYS_ONLY,
  );
  const found = new Set(byId.map((d) => d.id));
  const byKeys = await Promise.all(
    messages
      .filter((m) => !found.has(m.id))
      .map((m) =>
        model
          .find(
            { roomId: m.roomId, $or: [{ seq: m.seq }, { senderId: m.senderId, clientMsgId: m.clientMsgId }] },
            KEYS_ONLY,
          )
          .lean<StoredKeys[]>(),
      ),
  );
  return [...byId, ...byKeys.flat()];
}

async function moveToNewerSeq(model: Model<MessageDoc>, message: Message, fromSeq: number): Promise<boolean> {
  if (message.seq <= fromSeq) return false;
  // Point update by _id (FerretDB serves it without a scan); the seq guard makes a redelivery
  // of the older copy, or a second mover, a no-op. $max keeps a later change's version.
  const res = await model.updateOne(
    { _id: message.id, seq: fromSeq },
    {
      $set: {
        seq: message.seq,
        seqBlock: seqBlockOf(message.roomId, message.seq),
        createdAt: new Date(message.createdAt),
      },
      $max: { version: message.seq },
    },
  );
  return res.modifiedCount === 1;
}

async function findPage(
  model: Model<MessageDoc>,
  roomId: string,
  query: PageQuery,
  blocks: SeqBlocks | null,
): Promise<HistoryResponse> {
  if (query.changedAfter !== undefined) return findChanged(model, roomId, query.changedAfter, query);
  const ascending = query.after !== undefined;
  const count = query.limit + 1;
  const { before, after, storedMax } = query;
  let docs: MessageDoc[];
  // `after=` pages stay by range: resync must see everything stored, not only what the mark covers.
  if (blocks !== null && after === undefined && (before !== undefined || storedMax !== undefined))
    docs = await findBeforeByBlock(model, blocks, roomId, before ?? storedMax! + 1, count);
  else
    docs = await findByRange(
      model,
      roomId,
      before !== undefined ? { $lt: before } : after !== undefined ? { $gt: after } : undefined,
      count,
    );
  const hasMore = docs.length > query.limit;
  const page = docs.slice(0, query.limit);
  if (!ascending) page.reverse();
  return { messages: await withCurrentQuotes(model, roomId, page.map(toMessage)), hasMore };
}

/** Up to `count` messages of the room in `seq` order: descending unless `seq` is a `$gt` bound. */
function findByRange(
  model: Model<MessageDoc>,
  roomId: string,
  seq: { $lt: number } | { $gt: number } | undefined,
  count: number,
): Promise<MessageDoc[]> {
  return model
    .find({ roomId, ...(seq ? { seq } : {}) }, { _id: 0 })
    .sort({ seq: seq && '$gt' in seq ? 1 : -1 })
    .limit(count)
    .lean<MessageDoc[]>()
    .exec();
}

/**
 * The `count` messages of the room right below `before`, newest first, read block by block
 * downwards from the block of `before - 1` to the room's floor (seq-blocks.ts). Each block is
 * read whole, so once `count` are collected they are exactly the highest seqs below `before`.
 */
async function findBeforeByBlock(
  model: Model<MessageDoc>,
  blocks: SeqBlocks,
  roomId: string,
  before: number,
  count: number,
): Promise<MessageDoc[]> {
  const floor = await blocks.floors.of(roomId);
  // No floor: nothing of the room is stored (floors are written before messages).
  if (floor === null) return [];
  const docs: MessageDoc[] = [];
  const gap = await blocks.walkDown(roomId, blockOf(before - 1), blockOf(floor), (inBlock) => {
    for (const d of inBlock) if (d.seq < before) docs.push(d);
    return docs.length >= count;
  });
  if (gap !== null)
    docs.push(...(await findByRange(model, roomId, { $lt: (gap + 1) * SEQ_BLOCK_SIZE }, count - docs.length)));
  return docs.slice(0, count);
}

/** Messages with seq ≤ `since` changed after it (version > since, and > the version cursor `after`), by version. */
async function findChanged(
  model: Model<MessageDoc>,
  roomId: string,
  since: number,
  query: PageQuery,
): Promise<HistoryResponse> {
  const docs = await model
    .find({ roomId, version: { $gt: Math.max(since, query.after ?? since) }, seq: { $lte: since } }, { _id: 0 })
    .sort({ version: 1 })
    .limit(query.limit + 1)
    .lean<MessageDoc[]>();
  const page = docs.slice(0, query.limit);
  return { messages: await withCurrentQuotes(model, roomId, page.map(toMessage)), hasMore: docs.length > query.limit };
}

async function findMessage(model: Model<MessageDoc>, roomId: string, messageId: string): Promise<Message | null> {
  const doc = await model.findOne({ _id: messageId, roomId }, { _id: 0 }).lean<MessageDoc>();
  if (doc === null) return null;
  const [message] = await withCurrentQuotes(model, roomId, [toMessage(doc)]);
  return message!;
}

/** The documents among `ids` that also match `filter`, one `_id` lookup each (findEachId). */
function findByIds<T = { _id: string }>(
  model: Model<MessageDoc>,
  ids: readonly string[],
  filter: Record<string, unknown>,
  projection: Record<string, 0 | 1>,
): Promise<T[]> {
  return findEachId(ids, (_id) => model.findOne({ ...filter, _id }, projection).lean<T>());
}

/**
 * A reply stores the excerpt its target had when it was sent; once the target is deleted,
 * the quote shows nothing (DESIGN.md §3.2). Masked here, when served, so a delete needs no
 * write to its replies: a lookup by id for each target of a page's replies.
 */
export async function withCurrentQuotes(
  model: Model<MessageDoc>,
  roomId: string,
  messages: Message[],
): Promise<Message[]> {
  const quoted = [...new Set(messages.flatMap((m) => (m.replyTo?.excerpt ? [m.replyTo.id] : [])))];
  if (quoted.length === 0) return messages;
  const gone = await findByIds(model, quoted, { roomId, deletedAt: { $exists: true } }, { _id: 1 });
  if (gone.length === 0) return messages;
  const deleted = new Set(gone.map((d) => d._id));
  return messages.map((m) =>
    m.replyTo && deleted.has(m.replyTo.id) ? { ...m, replyTo: { ...m.replyTo, excerpt: '' } } : m,
  );
}

/** A stored document as the contract's Message: only the fields it has, `version` = `seq` on a legacy one. */
export function toMessage(doc: MessageDoc): Message {
  const message: Message = {
    id: doc.id,
    roomId: doc.roomId,
    seq: doc.seq,
    version: doc.version ?? doc.seq,
    senderId: doc.senderId,
    senderName: doc.senderName,
    text: doc.text ?? '',
    clientMsgId: doc.clientMsgId,
    createdAt: doc.createdAt.toISOString(),
    ...(doc.system ? { system: true as const } : {}),
  };
  if (doc.editedAt) message.editedAt = doc.editedAt.toISOString();
  if (doc.deletedAt) message.deletedAt = doc.deletedAt.toISOString();
  if (doc.replyTo) message.replyTo = doc.replyTo;
  if (doc.attachments?.length) message.attachments = doc.attachments;
  if (doc.reactions?.length) message.reactions = doc.reactions;
  if (doc.system) message.system = true;
  return message;
}

/** MongoDB unreachable is the client's 503, not a 500. */
export function rethrowUnavailable(err: unknown): never {
  if (isMongoUnavailable(err)) throw new AppError('UNAVAILABLE', 'message store unavailable', { cause: err });
  throw err;
}
