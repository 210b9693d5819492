import type { HistoryResponse, Message } from '@chat/contracts';
import { DUPLICATE_KEY, AppError } from '@chat/service-kit';
import type { Connection, Model } from 'mongoose';
import { messageModel, SUPERSEDED_INDEXES, type MessageDoc } from './message-model.js';
import { classifyWriteErrorCode, isMongoUnavailable, type WriteFailureKind } from './write-errors.js';

/** One history page request, already validated (limit 1..100, at most one cursor). */
export interface PageQuery {
  limit: number;
  before?: number | undefined;
  after?: number | undefined;
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
   * Throws when the write failed as a whole, or when its per-document errors do not account
   * for every document (then nothing of the batch may be taken as stored); the caller decides
   * from the error whether to retry or to isolate a document (write-errors.ts).
   */
  insertBatch(messages: Message[]): Promise<InsertOutcome>;
  /** Stored messages sharing `(roomId, seq)` or `(roomId, senderId, clientMsgId)` with one of `messages`. */
  findByUniqueKeys(messages: Message[]): Promise<StoredKeys[]>;
  /** Whether MongoDB answers a read now: tells a document it keeps refusing from an outage. */
  isAnswering(): Promise<boolean>;
  findPage(roomId: string, query: PageQuery): Promise<HistoryResponse>;
}

export function createMongoMessageStore(conn: Connection): MessageStore {
  const model = messageModel(conn);
  return {
    ensureIndexes: () => ensureIndexes(model),
    insertBatch: (messages) => insertBatch(model, messages),
    findByUniqueKeys: (messages) => findByUniqueKeys(model, messages),
    isAnswering: async () => {
      try {
        // Served by the (roomId, seq) index; no room has an empty id.
        await model.exists({ roomId: '' });
        return true;
      } catch {
        return false;
      }
    },
    findPage: (roomId, query) => findPage(model, roomId, query).catch(rethrowUnavailable),
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

async function insertBatch(model: Model<MessageDoc>, messages: Message[]): Promise<InsertOutcome> {
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
  const doc: MessageDoc = { ...rest, _id: m.id, createdAt: new Date(m.createdAt) };
  // Absent stays absent (the driver would store an undefined as null).
  if (editedAt !== undefined) doc.editedAt = new Date(editedAt);
  if (deletedAt !== undefined) doc.deletedAt = new Date(deletedAt);
  return doc;
}

const KEYS_ONLY = { _id: 0, id: 1, roomId: 1, seq: 1, senderId: 1, clientMsgId: 1 } as const;

/**
 * First by primary key (a redelivery, the usual duplicate: one lookup for all), then, for
 * the few left, by each unique index (a conflict, or a message stored before `_id` was its
 * id). One query per message rather than one `$or` of them all: FerretDB scans for every
 * clause of an `$or` (200 messages took 40 s on the test machine).
 */
async function findByUniqueKeys(model: Model<MessageDoc>, messages: Message[]): Promise<StoredKeys[]> {
  if (messages.length === 0) return [];
  const byId = await model.find({ _id: { $in: messages.map((m) => m.id) } }, KEYS_ONLY).lean<StoredKeys[]>();
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

async function findPage(model: Model<MessageDoc>, roomId: string, query: PageQuery): Promise<HistoryResponse> {
  const ascending = query.after !== undefined;
  const seq =
    query.before !== undefined ? { seq: { $lt: query.before } } : ascending ? { seq: { $gt: query.after } } : {};
  const docs = await model
    .find({ roomId, ...seq }, { _id: 0 })
    .sort({ seq: ascending ? 1 : -1 })
    .limit(query.limit + 1)
    .lean<MessageDoc[]>();
  const hasMore = docs.length > query.limit;
  const page = docs.slice(0, query.limit);
  if (!ascending) page.reverse();
  return { messages: page.map(toMessage), hasMore };
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
function rethrowUnavailable(err: unknown): never {
  if (isMongoUnavailable(err)) throw new AppError('UNAVAILABLE', 'message store unavailable', { cause: err });
  throw err;
}
