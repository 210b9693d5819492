import { canAccessRoom } from '@chat/contracts';
import { findEachId } from '@chat/service-kit';
import type { Connection } from 'mongoose';
import { MEMBERSHIP_COLLECTION, membershipId, ROOM_COLLECTION } from './membership-model.js';

/**
 * The durable membership documents (DESIGN.md §3.3), as written by the membership store:
 * `_id` = `<roomId>|<userId>`; `member: false` once the user left. Only the fields read here.
 */
interface MembershipDoc {
  _id: string;
  roomId: string;
  userId: string;
  member: boolean;
}

/** The room state the membership store keeps from stored messages; `lastAt` = its newest message's createdAt. */
interface RoomStateDoc {
  _id: string;
  lastAt?: Date;
}

export interface MemberRoom {
  roomId: string;
  /** Epoch ms of the room's newest message, when known. */
  lastAt?: number;
}

/** The rooms a user may read by membership (search, and any read scoped to "my rooms"). */
export interface MemberRooms {
  /** Every room `userId` is a member of, most recent activity first, rooms of unknown activity last. */
  roomsOf(userId: string): Promise<MemberRoom[]>;
  /** Argument order as MembershipStore.isMember's. */
  isMember(roomId: string, userId: string): Promise<boolean>;
}

/**
 * Reads the `memberships` and `rooms` collections with the driver (not mongoose models: the
 * membership store owns those schemas). A direct room is readable by its two users only,
 * whatever a membership document says (`canAccessRoom`), so a stray document never opens
 * another's DM.
 */
export function createMongoMemberRooms(conn: Connection): MemberRooms {
  const memberships = () => conn.db!.collection<MembershipDoc>(MEMBERSHIP_COLLECTION);
  const roomStates = () => conn.db!.collection<RoomStateDoc>(ROOM_COLLECTION);
  return {
    async roomsOf(userId) {
      const docs = await memberships()
        .find({ userId, member: true }, { projection: { _id: 0, roomId: 1 } })
        .toArray();
      const roomIds = [...new Set(docs.map((d) => d.roomId))].filter((roomId) => canAccessRoom(userId, roomId));
      if (roomIds.length === 0) return [];
      // One `_id` lookup per room: FerretDB would read every room of the system for a `$in`.
      const states = await findEachId(roomIds, (_id) => roomStates().findOne({ _id }, { projection: { lastAt: 1 } }));
      const lastAt = new Map(states.flatMap((s) => (s.lastAt instanceof Date ? [[s._id, s.lastAt.getTime()]] : [])));
      return roomIds
        .map((roomId) => (lastAt.has(roomId) ? { roomId, lastAt: lastAt.get(roomId)! } : { roomId }))
        .sort((a, b) => (b.lastAt ?? -1) - (a.lastAt ?? -1));
    },
    async isMember(roomId, userId) {
      if (!canAccessRoom(userId, roomId)) return false;
      // By primary key: FerretDB serves it without a scan.
      const doc = await memberships().findOne(
        { _id: membershipId(roomId, userId), member: true },
        { projection: { _id: 1 } },
      );
      return doc !== null;
    },
  };
}
