import { canAccessRoom } from '@chat/contracts';
import type { Connection } from 'mongoose';

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

export const MEMBERSHIP_COLLECTION = 'memberships';

/** The rooms a user may read by membership (search, and any read scoped to "my rooms"). */
export interface MemberRooms {
  /** Every room `userId` is a member of, in no particular order. */
  roomsOf(userId: string): Promise<string[]>;
  isMember(userId: string, roomId: string): Promise<boolean>;
}

/**
 * Reads the `memberships` collection with the driver (not a mongoose model: the membership
 * store owns that schema). A direct room is readable by its two users only, whatever a
 * membership document says (`canAccessRoom`), so a stray document never opens another's DM.
 */
export function createMongoMemberRooms(conn: Connection): MemberRooms {
  const memberships = () => conn.db!.collection<MembershipDoc>(MEMBERSHIP_COLLECTION);
  return {
    async roomsOf(userId) {
      const docs = await memberships()
        .find({ userId, member: true }, { projection: { _id: 0, roomId: 1 } })
        .toArray();
      return [...new Set(docs.map((d) => d.roomId))].filter((roomId) => canAccessRoom(userId, roomId));
    },
    async isMember(userId, roomId) {
      if (!canAccessRoom(userId, roomId)) return false;
      // By primary key: FerretDB serves it without a scan.
      const doc = await memberships().findOne({ _id: `${roomId}|${userId}`, member: true }, { projection: { _id: 1 } });
      return doc !== null;
    },
  };
}
