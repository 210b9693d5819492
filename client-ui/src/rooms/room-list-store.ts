import { publicUserSchema, roomIdSchema } from '@chat/contracts';
import { z } from 'zod';

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
  try {
    const parsed = storedSchema.safeParse(JSON.parse(storage.getItem(keyFor(userId)) ?? 'null'));
    if (parsed.success) return parsed.data;
  } catch {
    // Unreadable entry: start over rather than fail to open the app.
  }
  return { rooms: [] };
}

export function saveRooms(userId: string, value: StoredRooms, storage: Storage = localStorage): void {
  try {
    storage.setItem(keyFor(userId), JSON.stringify(value));
  } catch {
    // Storage full or disabled (private mode): the sidebar just won't survive a reload.
  }
}

/** What the sidebar and header call a room. */
export function roomTitle(room: RoomEntry): string {
  return room.peer ? room.peer.displayName : `#${room.id}`;
}
