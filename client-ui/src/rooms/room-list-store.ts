import { publicUserSchema, roomIdSchema } from '@chat/contracts';
import { z } from 'zod';
import { readUserData, writeUserData } from '../session/user-storage.js';

/**
 * The sidebar's rooms, kept in localStorage per user so they survive reloads and new tabs.
 * Nothing secret is stored: room ids and the public profile of a direct-message peer.
 */
const roomEntrySchema = z.object({
  id: roomIdSchema,
  /** The other member of a direct conversation, for its title and avatar. */
  peer: publicUserSchema.optional(),
});
export type RoomEntry = z.infer<typeof roomEntrySchema>;

const storedSchema = z.object({
  rooms: z.array(roomEntrySchema).max(500),
  activeRoomId: z.string().optional(),
});
export type StoredRooms = z.infer<typeof storedSchema>;

const keyFor = (userId: string) => `chat.rooms.${userId}`;

export function loadRooms(userId: string, storage: Storage = localStorage): StoredRooms {
  return readUserData(keyFor(userId), storedSchema, { rooms: [] }, storage);
}

export function saveRooms(userId: string, value: StoredRooms, storage: Storage = localStorage): void {
  writeUserData(keyFor(userId), value, storage);
}

/** What the sidebar and header call a room. */
export function roomTitle(room: RoomEntry): string {
  return room.peer ? room.peer.displayName : `#${room.id}`;
}
