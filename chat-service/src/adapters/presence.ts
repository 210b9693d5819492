/** One connection of a user in a room, as presence counts it. */
export interface PresenceEntry {
  userId: string;
  /** The Socket.IO socket id (never contains `:`). */
  connectionId: string;
  displayName: string;
}

/** A user whose presence in a room ended. */
export interface PresenceUser {
  userId: string;
  displayName: string;
}

/** Users left with no live connection in a room, found by {@link Presence.sweep}. */
export interface RoomDepartures {
  roomId: string;
  users: PresenceUser[];
}

/**
 * Who is in which room across nodes (DESIGN.md §3.4): a user is online in a room while any of
 * their connections counts there. A connection counts until its expiry (TTL after its node's
 * last heartbeat, or a grace period after it closed); every change that decides "first" or
 * "last" is atomic, so of all nodes exactly one announces it.
 */
export interface Presence {
  /** The connection is in the room for the next TTL: true if it is the user's first there (now online). */
  join(roomId: string, entry: PresenceEntry): Promise<boolean>;
  /** The connection left the room: true if it was the user's last there (now offline). */
  leave(roomId: string, entry: PresenceEntry): Promise<boolean>;
  /**
   * The connection closed: it still counts for the grace period, so a user who reconnects
   * (another node, a new socket) within it never looks offline; the sweep ends it after.
   */
  linger(roomId: string, entry: PresenceEntry): Promise<void>;
  /** Heartbeat: these connections count for another TTL; answers the ones no longer held (swept, or lost with Redis' data). */
  refresh(roomId: string, entries: PresenceEntry[]): Promise<PresenceEntry[]>;
  /** Ends the expired connections of every room, any node; each departure is answered to one caller only. */
  sweep(): Promise<RoomDepartures[]>;
  /** The users with a live connection in the room now. */
  online(roomId: string): Promise<Set<string>>;
}

export interface PresenceTiming {
  /** How long a connection counts after its node's last heartbeat. */
  ttlMs: number;
  /** How long a closed connection still counts. */
  graceMs: number;
}
