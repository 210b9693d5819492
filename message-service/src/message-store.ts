import type { HistoryResponse, Message } from '@chat/contracts';
import { DUPLICATE_KEY, AppError } from '@chat/service-kit';
import mongoose, { type Connection, type Model } from 'mongoose';
import { messageModel, type MessageDoc } from './message-model.js';

/** One history page request, already validated (limit 1..100, at most one cursor). */
export interface PageQuery {
  limit: number;
  before?: number | undefined;
  after?: number | undefined;
}

export interface InsertOutcome {
  inserted: number;
  /** Already stored (redelivery, client retry): counts as success. */
  duplicates: number;
  /** Documents MongoDB rejected for another reason, by index in the batch. */
  rejected: { index: number; reason: string }[];
}

/** Where messages live. Tests wrap it to count or delay reads. */
export interface MessageStore {
  ensureIndexes(): Promise<void>;
  /** Throws if the write as a whole failed (MongoDB unavailable); the caller retries. */
  insertBatch(messages: Message[]): Promise<InsertOutcome>;
  findPage(roomId: string, query: PageQuery): Promise<HistoryResponse>;
}

export function createMongoMessageStore(conn: Connection): MessageStore {
  const model = messageModel(conn);
  return {
    ensureIndexes: async () => {
      await model.init();
    },
    insertBatch: (messages) => insertBatch(model, messages),
    findPage: (roomId, query) => findPage(model, roomId, query).catch(rethrowUnavailable),
  };
}

async function insertBatch(model: Model<MessageDoc>, messages: Message[]): Promise<InsertOutcome> {
  const docs = messages.map((m) => ({ ...m, createdAt: new Date(m.createdAt) }));
  try {
    await model.insertMany(docs, { ordered: false, lean: true });
    return { inserted: docs.length, duplicates: 0, rejected: [] };
  } catch (err) {
    const writeErrors = perDocumentErrors(err);
    if (writeErrors.length === 0) throw err;
    let duplicates = 0;
    const rejected: InsertOutcome['rejected'] = [];
    for (const w of writeErrors) {
      if (w.code === DUPLICATE_KEY) duplicates += 1;
      else rejected.push({ index: w.index, reason: w.message });
    }
    return { inserted: docs.length - duplicates - rejected.length, duplicates, rejected };
  }
}

interface WriteErrorLike {
  code?: number;
  index?: number;
  errmsg?: string;
  /** mongoose wraps the driver's WriteError as `{err, index}`. */
  err?: WriteErrorLike;
}

/** The per-document errors of an unordered insertMany; empty when the write failed as a whole. */
function perDocumentErrors(err: unknown): { code: number | undefined; index: number; message: string }[] {
  const list = (err as { writeErrors?: WriteErrorLike | WriteErrorLike[] } | null)?.writeErrors;
  if (list === undefined) return [];
  return (Array.isArray(list) ? list : [list]).map((w) => ({
    code: w.code ?? w.err?.code,
    index: w.index ?? w.err?.index ?? -1,
    message: w.errmsg ?? w.err?.errmsg ?? 'write rejected',
  }));
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

function toMessage(doc: MessageDoc): Message {
  return {
    id: doc.id,
    roomId: doc.roomId,
    seq: doc.seq,
    senderId: doc.senderId,
    senderName: doc.senderName,
    text: doc.text,
    clientMsgId: doc.clientMsgId,
    createdAt: doc.createdAt.toISOString(),
    ...(doc.system ? { system: true as const } : {}),
  };
}

/** MongoDB unreachable is the client's 503, not a 500. */
function rethrowUnavailable(err: unknown): never {
  if (isMongoUnavailable(err)) throw new AppError('UNAVAILABLE', 'message store unavailable', { cause: err });
  throw err;
}

export function isMongoUnavailable(err: unknown): boolean {
  const { MongoNetworkError, MongoServerSelectionError, MongoNotConnectedError, MongoTopologyClosedError } =
    mongoose.mongo;
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  );
}
