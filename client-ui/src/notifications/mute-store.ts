import { roomIdSchema } from '@chat/contracts';
import { z } from 'zod';
import { readUserData, writeUserData } from '../session/user-storage.js';

/** localStorage key of a user's muted rooms: a JSON array of room ids. */
export const mutedRoomsKey = (userId: string) => `chat.muted.${userId}`;

const storedSchema = z.array(roomIdSchema).max(10_000);

/**
 * Rooms whose messages never notify, per user, in localStorage (kept across reloads and
 * sign-outs on this browser; not shared with other devices). React reads it through
 * `subscribe` and `isMuted`.
 */
export class MuteStore {
  private muted: Set<string>;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly userId: string,
    private readonly storage?: Storage,
  ) {
    this.muted = new Set(readUserData(mutedRoomsKey(userId), storedSchema, [], storage));
  }

  isMuted = (roomId: string): boolean => this.muted.has(roomId);

  setMuted(roomId: string, muted: boolean): void {
    if (this.muted.has(roomId) === muted) return;
    this.muted = new Set(this.muted);
    if (muted) this.muted.add(roomId);
    else this.muted.delete(roomId);
    writeUserData(mutedRoomsKey(this.userId), [...this.muted], this.storage);
    for (const l of this.listeners) l();
  }

  /** A new value on every change, for useSyncExternalStore. */
  getSnapshot = (): ReadonlySet<string> => this.muted;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}
