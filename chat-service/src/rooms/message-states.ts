import type { Message } from '@chat/contracts';
import { AppError } from '@chat/service-kit';
import type { HistoryClient } from '../adapters/history-client.js';
import type { MessageRecord, RecentBuffer } from '../adapters/recent-buffer.js';

/**
 * The current state of a message of a room, for an edit, a delete, a reaction or a reply:
 * from the recent buffers (one Redis read), else from message-service (older messages).
 * Unknown in that room → NOT_FOUND; message-service unreachable, or behind the last change
 * Redis knows of → UNAVAILABLE (never a stale state to build a change on). Plain sends never
 * come here.
 */
export function createMessageStates(recent: RecentBuffer, history: HistoryClient) {
  return {
    async current(roomId: string, messageId: string, token: string): Promise<Message> {
      const buffered = await recent.lookup(roomId, messageId);
      if (buffered.message) return buffered.message;
      let stored: Message | null;
      try {
        stored = await history.message(roomId, messageId, token);
      } catch (err) {
        throw new AppError('UNAVAILABLE', 'message history unavailable; retry', { cause: err });
      }
      return checkedStored(stored, buffered.record);
    },
  };
}

export type MessageStates = ReturnType<typeof createMessageStates>;

function checkedStored(stored: Message | null, record: MessageRecord | null): Message {
  if (stored === null && record === null) throw new AppError('NOT_FOUND', 'no such message in this room');
  if (stored === null || (record !== null && stored.version < record.version)) {
    // Accepted, but not persisted yet (or its latest change is not): building on it would lose that.
    throw new AppError('UNAVAILABLE', 'this message is not stored yet; retry');
  }
  return stored;
}
