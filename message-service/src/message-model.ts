import type { Message } from '@chat/contracts';
import { Schema, type Connection, type Model } from 'mongoose';

/** A stored Message: the contract's fields, `createdAt` as a Date. */
export interface MessageDoc extends Omit<Message, 'createdAt'> {
  createdAt: Date;
}

const messageSchema = new Schema<MessageDoc>(
  {
    id: { type: String, required: true },
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    senderId: { type: String, required: true },
    senderName: { type: String, required: true },
    text: { type: String, required: true },
    clientMsgId: { type: String, required: true },
    createdAt: { type: Date, required: true },
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

// Idempotent writes: insertMany rejects a redelivered or re-sent message (duplicate key = already stored).
messageSchema.index({ roomId: 1, senderId: 1, clientMsgId: 1 }, { unique: true });
// History pages: find({roomId, seq: {$lt|$gt}}).sort({seq: -1|1}).limit(n).
messageSchema.index({ roomId: 1, seq: -1 });

export const MESSAGE_COLLECTION = 'messages';

/** The Message model on `conn` (one per connection; tests hold several). */
export function messageModel(conn: Connection): Model<MessageDoc> {
  return (
    (conn.models.Message as Model<MessageDoc> | undefined) ??
    conn.model<MessageDoc>('Message', messageSchema, MESSAGE_COLLECTION)
  );
}
