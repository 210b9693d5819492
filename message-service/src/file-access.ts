import { canAccessRoom } from '@chat/contracts';
import type { Model } from 'mongoose';
import type { StoredFile } from './file-store.js';
import type { MessageDoc } from './message-model.js';

/** Carrying messages looked at per check: a file is attached to a handful of messages at most. */
const CARRIERS_CHECKED = 100;

/**
 * Who may read which file, and which stored messages carry one. Index `attachments.id`
 * (message-model.ts); on FerretDB the equality filter is served by its GIN index.
 */
export class FileAccess {
  constructor(private readonly messages: Model<MessageDoc>) {}

  /**
   * The uploader, or anyone who may read a room where a stored message carries the file.
   * Room access is canAccessRoom, the same rule history reads follow (dm rooms: their two
   * members; public rooms: every signed-in user, member or not, as DESIGN.md §3 opens them).
   */
  async mayRead(userId: string, file: StoredFile): Promise<boolean> {
    if (file.uploaderId === userId) return true;
    const carriers = await this.carriers(file.id);
    return carriers.some((m) => canAccessRoom(userId, m.roomId));
  }

  /** Stored messages that carry the file now (a deleted message carries nothing). */
  carriers(fileId: string): Promise<{ id: string; roomId: string }[]> {
    return this.messages
      .find({ 'attachments.id': fileId }, { _id: 0, id: 1, roomId: 1 })
      .limit(CARRIERS_CHECKED)
      .lean<{ id: string; roomId: string }[]>()
      .exec();
  }
}
