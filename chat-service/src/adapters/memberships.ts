/** What joining a room did to the user's rooms: a new membership, one already held, or none (at the cap). */
export type JoinOutcome = 'added' | 'member' | 'full';

/** Where a markRead left the marker. */
export type ReadAdvance =
  { kind: 'not-member' } | { kind: 'unchanged'; seq: number } | { kind: 'moved'; seq: number; previous: number };

export interface MemberRooms {
  /** Up to `max` of the user's rooms; `complete: false` when the set was never loaded or was lost with Redis' data. */
  rooms: string[];
  complete: boolean;
}

/**
 * A user's membership state for the live path: their rooms (contracts' shared `userRooms` set,
 * a fast copy of the durable membership message-service stores) and their read markers.
 */
export interface MembershipStore {
  /** Adds the room unless the user already holds `max` rooms; answers the user's read marker in it too. */
  join(userId: string, roomId: string, max: number): Promise<{ outcome: JoinOutcome; lastReadSeq: number }>;
  /** Adds the room without a cap (a direct room, or undoing a leave); true when it was not held. */
  add(userId: string, roomId: string): Promise<boolean>;
  /** Both members of a direct room in one round trip: which of them were added. */
  addBoth(roomId: string, members: readonly [string, string]): Promise<[boolean, boolean]>;
  /** True when the user held the room. */
  remove(userId: string, roomId: string): Promise<boolean>;
  rooms(userId: string, max: number): Promise<MemberRooms>;
  /** Merges the durable membership and markers in (union, markers by max) and marks the set complete. */
  restore(userId: string, rooms: ReadonlyArray<{ roomId: string; lastReadSeq: number }>): Promise<void>;
  /** Moves the marker to `seq` if that is forward, for a member only. */
  advanceRead(userId: string, roomId: string, seq: number): Promise<ReadAdvance>;
  /** Takes the marker back to `previous` if it still stands at `seq` (its publish failed). */
  revertRead(userId: string, roomId: string, seq: number, previous: number): Promise<void>;
}
