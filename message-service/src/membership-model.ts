import type { Message } from '@chat/contracts';
import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A user's membership of a room and read marker (DESIGN.md §3.3), from the membership and
 * read events on the persist queue. Other helpers (search) read this exact shape.
 */
export interface MembershipDoc {
  /** `<roomId>|<userId>`: one document per pair, found by a point lookup. */
  _id: string;
  roomId: string;
  userId: string;
  member: boolean;
  /** Unix ms of the newest membership event applied; an event with an older (or equal) `at` is ignored. */
  changedAt: number;
  /** When the current membership began (the `at` that made it true); on a document a read marker created first, that moment. */
  joinedAt: Date;
  /** Only ever raised (`$max`). */
  lastReadSeq: number;
  /** The member's display name when a membership event carried it. */
  displayName?: string;
}

export function membershipId(roomId: string, userId: string): string {
  return `${roomId}|${userId}`;
}

/**
 * A room's state for the room list, kept by the consumer from the messages it stores (seq
 * guarded, so redelivery and reordering never move it back): no message is read per room to
 * build the list.
 */
export interface RoomDoc {
  _id: string;
  /** Highest seq stored in the room, of a message or a change (an edit's version). */
  lastSeq: number;
  /** The message with the highest seq, in the newest state stored. */
  lastMessage: Message;
  lastMessageSeq: number;
  lastMessageVersion: number;
  /** `lastMessage.createdAt`: the room's last activity, the list's order. */
  lastAt: Date;
}

const membershipSchema = new Schema<MembershipDoc>(
  {
    _id: { type: String },
    roomId: { type: String, required: true },
    userId: { type: String, required: true },
    member: { type: Boolean, required: true },
    changedAt: { type: Number, required: true },
    joinedAt: { type: Date, required: true },
    lastReadSeq: { type: Number, required: true },
    displayName: { type: String },
  },
  { versionKey: false, bufferCommands: false },
);
// The room list: find({userId, member: true}). On FerretDB the GIN twin of the leading field serves it.
membershipSchema.index({ userId: 1, member: 1 });
// The members list: find({roomId, member: true}).sort({joinedAt: 1}).limit(1000).
membershipSchema.index({ roomId: 1, member: 1, joinedAt: 1 });

const roomSchema = new Schema<RoomDoc>(
  {
    _id: { type: String },
    lastSeq: { type: Number, required: true },
    lastMessage: { type: Schema.Types.Mixed, required: true },
    lastMessageSeq: { type: Number, required: true },
    lastMessageVersion: { type: Number, required: true },
    lastAt: { type: Date, required: true },
  },
  { versionKey: false, bufferCommands: false },
);

export const MEMBERSHIP_COLLECTION = 'memberships';
export const ROOM_COLLECTION = 'rooms';

export function membershipModel(conn: Connection): Model<MembershipDoc> {
  return (
    (conn.models.Membership as Model<MembershipDoc> | undefined) ??
    conn.model<MembershipDoc>('Membership', membershipSchema, MEMBERSHIP_COLLECTION)
  );
}

export function roomModel(conn: Connection): Model<RoomDoc> {
  return (conn.models.Room as Model<RoomDoc> | undefined) ?? conn.model<RoomDoc>('Room', roomSchema, ROOM_COLLECTION);
}
