import type { Message } from '@chat/contracts';
import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A stored Message in its current state: the contract's fields, timestamps as Dates, and
 * `_id` = the message's `id` (documents stored before this have an ObjectId there). Keyed by
 * id, a redelivery is told from a different message sharing a unique key with one
 * primary-key lookup. Documents stored before Message v2 have no `version` (read as `seq`).
 */
export interface MessageDoc extends Omit<Message, 'createdAt' | 'editedAt' | 'deletedAt' | 'version'> {
  _id: string;
  /** `<roomId>:<floor(seq / 64)>` (seq-blocks.ts); absent on a message stored before blocks, until backfilled. */
  seqBlock?: string;
  /**
   * The ids of `attachments`, absent when there are none: a top-level copy because FerretDB 1.x
   * pushes no dotted path down to PostgreSQL, so `find({'attachments.id'})` read the whole
   * collection for every file check. Absent on a message stored before it, until backfilled.
   */
  attachmentIds?: string[];
  version?: number;
  createdAt: Date;
  editedAt?: Date;
  deletedAt?: Date;
}

/**
 * The unique (roomId, seq) index; it replaced a non-unique `roomId_1_seq_-1` that served pages
 * only.
 */
export const ROOM_SEQ_INDEX = 'roomId_1_seq_1_unique';
export const SUPERSEDED_INDEXES = ['roomId_1_seq_-1'];
/** Replaced by `attachmentIds_1`; dropped once the attachment-id backfill is recorded (file-access.ts). */
export const ATTACHMENTS_ID_INDEX = 'attachments.id_1';

const messageSchema = new Schema<MessageDoc>(
  {
    _id: { type: String },
    id: { type: String, required: true },
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    seqBlock: { type: String },
    version: { type: Number },
    senderId: { type: String, required: true },
    senderName: { type: String, required: true },
    // '' once deleted: present, not required (mongoose refuses '' for a required string).
    text: { type: String, default: '' },
    clientMsgId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    editedAt: { type: Date },
    deletedAt: { type: Date },
    replyTo: { type: { _id: false, id: String, seq: Number, senderName: String, excerpt: String } },
    attachments: {
      type: [{ _id: false, id: String, name: String, size: Number, contentType: String }],
      default: undefined,
    },
    attachmentIds: { type: [String], default: undefined },
    reactions: { type: [{ _id: false, emoji: String, userIds: [String] }], default: undefined },
    // Declared so a change (replaceOne, cast by this schema) keeps them: undeclared, an edit or a
    // reaction dropped them, and with them the message's mention counts.
    mentions: { type: [String], default: undefined },
    /** Only on messages from chat-service's internal publish API. */
    system: { type: Boolean },
  },
  {
    versionKey: false,
    // With MongoDB down, fail after server selection instead of queueing in mongoose; the
    // consumer retries the batch itself and the history route answers UNAVAILABLE.
    bufferCommands: false,
  },
);

// Idempotent writes: a redelivered or re-sent message is refused as a duplicate key; the
// consumer then looks it up by this key (findByUniqueKeys: {roomId, senderId, clientMsgId}).
messageSchema.index({ roomId: 1, senderId: 1, clientMsgId: 1 }, { unique: true });
// At most one message per (roomId, seq) (DESIGN.md §4): a different message with a used seq
// is refused and dead-lettered as a seq conflict. Also serves history pages,
// find({roomId, seq: {$lt|$gt}}).sort({seq: -1|1}).limit(n) (an index is read either way),
// and the consumer's lookup by {roomId, seq}.
messageSchema.index({ roomId: 1, seq: 1 }, { unique: true, name: ROOM_SEQ_INDEX });

// History pages by block (seq-blocks.ts), find({seqBlock}): one GIN probe on FerretDB (its
// twin of this index), at most 64 documents; an index point lookup on MongoDB.
messageSchema.index({ seqBlock: 1 });

// Resync's changed messages of a room, find({roomId, version: {$gt}, seq: {$lte}}).sort({version: 1}).
messageSchema.index({ roomId: 1, version: 1 });

// Who may read a file, and whether any message still carries it (file-access.ts),
// find({attachmentIds}): a multikey index on MongoDB, the GIN twin on FerretDB.
messageSchema.index({ attachmentIds: 1 });

export const MESSAGE_COLLECTION = 'messages';

/** The Message model on `conn` (one per connection; tests hold several). */
export function messageModel(conn: Connection): Model<MessageDoc> {
  return (
    (conn.models.Message as Model<MessageDoc> | undefined) ??
    conn.model<MessageDoc>('Message', messageSchema, MESSAGE_COLLECTION)
  );
}
