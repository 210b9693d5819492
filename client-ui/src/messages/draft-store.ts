import { MESSAGE_TEXT_MAX } from '@chat/contracts';
import { z } from 'zod';
import { draftsKey, readUserData, writeUserData } from '../session/user-storage.js';

const storedSchema = z.record(z.string(), z.string().max(MESSAGE_TEXT_MAX));

/**
 * What the user has typed but not sent, per room, in localStorage per user: it survives
 * switching rooms and reloads, and is forgotten on logout.
 */
export class DraftStore {
  private readonly drafts: Record<string, string>;

  constructor(
    private readonly userId: string,
    private readonly storage?: Storage,
  ) {
    this.drafts = readUserData(draftsKey(userId), storedSchema, {}, storage);
  }

  get(roomId: string): string {
    return this.drafts[roomId] ?? '';
  }

  set(roomId: string, text: string): void {
    if ((this.drafts[roomId] ?? '') === text) return;
    if (text) this.drafts[roomId] = text;
    else delete this.drafts[roomId];
    writeUserData(draftsKey(this.userId), this.drafts, this.storage);
  }
}
