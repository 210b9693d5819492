import type { Message } from '@chat/contracts';
import type { Connection } from 'mongoose';
import { messageModel, type MessageDoc } from './message-model.js';
import { rethrowUnavailable, toMessage, withCurrentQuotes } from './message-store.js';

/** Where a search looks for matches, one room at a time. Tests wrap it to slow a room down. */
export interface SearchRepository {
  /**
   * Up to `limit` messages of `roomId` whose text contains `q` (case-insensitive, taken
   * literally), never a deleted one, newest first. The server stops after `maxTimeMs`
   * (rejects with MaxTimeMSExpired, see `isTimeLimitError`).
   */
  findInRoom(roomId: string, q: string, limit: number, maxTimeMs: number): Promise<Message[]>;
}

/** MongoDB's MaxTimeMSExpired; FerretDB answers the same code when its maxTimeMS timer fires. */
const MAX_TIME_MS_EXPIRED = 50;

export function isTimeLimitError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === MAX_TIME_MS_EXPIRED;
}

/**
 * `text` as a regex source that matches itself literally. MongoDB (PCRE) and FerretDB (Go
 * RE2) both read a backslash before punctuation as that character.
 */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * One query per room: `{roomId, deletedAt absent, text ~ /q/i}` newest seq first. No index
 * can serve an unanchored case-insensitive regex (and FerretDB 1.x has no `$text`), so the
 * room's messages are read and the text filtered:
 * - MongoDB: the equality on roomId plus the sort on seq is the unique (roomId, seq) index
 *   read backwards (IXSCAN, then FETCH with the text filter, no SORT stage); the LIMIT stops
 *   it at the `limit`-th match, so a common word reads a few messages, a rare one the room.
 * - FerretDB 1.24 (PostgreSQL): only the roomId equality reaches PostgreSQL (`@>`, a Bitmap
 *   Index Scan on the GIN twin of that index); the regex, the sort and the limit run in
 *   FerretDB over every message of the room.
 */
export function createMongoSearchRepository(conn: Connection): SearchRepository {
  const model = messageModel(conn);
  return {
    async findInRoom(roomId, q, limit, maxTimeMs) {
      try {
        const docs = await model
          .find({ roomId, deletedAt: { $exists: false }, text: { $regex: escapeRegex(q), $options: 'i' } }, { _id: 0 })
          .sort({ seq: -1 })
          .limit(limit)
          .maxTimeMS(maxTimeMs)
          .lean<MessageDoc[]>();
        // A reply quoting a message deleted since shows no excerpt, as in history.
        return await withCurrentQuotes(model, roomId, docs.map(toMessage));
      } catch (err) {
        if (isTimeLimitError(err)) throw err;
        return rethrowUnavailable(err);
      }
    },
  };
}
