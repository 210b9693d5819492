import type { Presence, PresenceEntry, PresenceTiming, PresenceUser } from '../../src/adapters/presence.js';

interface RoomState {
  /** `<userId>:<connectionId>` → when it stops counting (unix ms). */
  expiries: Map<string, { userId: string; expires: number }>;
  /** userId → live connections and display name. */
  users: Map<string, { count: number; displayName: string }>;
}

/**
 * {@link Presence} in this process only (one node, tests): the same rules as the Redis
 * backend, which every node shares.
 */
export function createMemoryPresence({ ttlMs, graceMs }: PresenceTiming, now = () => Date.now()): Presence {
  const rooms = new Map<string, RoomState>();
  const member = (e: PresenceEntry) => `${e.userId}:${e.connectionId}`;
  const roomOf = (roomId: string): RoomState => {
    let room = rooms.get(roomId);
    if (!room) rooms.set(roomId, (room = { expiries: new Map(), users: new Map() }));
    return room;
  };
  /** Counts one connection fewer; answers the user when it was their last. */
  const release = (room: RoomState, userId: string): PresenceUser | undefined => {
    const held = room.users.get(userId);
    if (!held) return undefined;
    if (--held.count > 0) return undefined;
    room.users.delete(userId);
    return { userId, displayName: held.displayName };
  };
  const dropIfEmpty = (roomId: string, room: RoomState) => {
    if (room.expiries.size === 0) rooms.delete(roomId);
  };

  return {
    async join(roomId, entry) {
      const room = roomOf(roomId);
      const key = member(entry);
      const known = room.expiries.has(key);
      room.expiries.set(key, { userId: entry.userId, expires: now() + ttlMs });
      if (known) return false;
      const held = room.users.get(entry.userId);
      room.users.set(entry.userId, { count: (held?.count ?? 0) + 1, displayName: entry.displayName });
      return held === undefined;
    },

    async leave(roomId, entry) {
      const room = rooms.get(roomId);
      if (!room?.expiries.delete(member(entry))) return false;
      const last = release(room, entry.userId) !== undefined;
      dropIfEmpty(roomId, room);
      return last;
    },

    async linger(roomId, entry) {
      const held = rooms.get(roomId)?.expiries.get(member(entry));
      if (held) held.expires = Math.min(held.expires, now() + graceMs);
    },

    async refresh(roomId, entries) {
      const room = rooms.get(roomId);
      const expires = now() + ttlMs;
      return entries.filter((entry) => {
        const held = room?.expiries.get(member(entry));
        if (held) held.expires = expires;
        return !held;
      });
    },

    async sweep() {
      const at = now();
      const departures = [];
      for (const [roomId, room] of rooms) {
        const users: PresenceUser[] = [];
        for (const [key, { userId, expires }] of room.expiries) {
          if (expires > at) continue;
          room.expiries.delete(key);
          const gone = release(room, userId);
          if (gone) users.push(gone);
        }
        dropIfEmpty(roomId, room);
        if (users.length > 0) departures.push({ roomId, users });
      }
      return departures;
    },

    async online(roomId) {
      const at = now();
      const online = new Set<string>();
      for (const { userId, expires } of rooms.get(roomId)?.expiries.values() ?? []) {
        if (expires > at) online.add(userId);
      }
      return online;
    },
  };
}
