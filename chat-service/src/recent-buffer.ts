import type { Message } from '@chat/contracts';

export interface RecentSlice {
  /** Buffered messages with seq > sinceSeq, ascending, at most `limit`. */
  messages: Message[];
  /**
   * Buffered messages with seq < sinceSeq that were pushed no earlier than `stragglerWindowMs`
   * before message `sinceSeq` was: broadcast after it, so possibly unseen by a client that
   * already had `sinceSeq` (empty when `sinceSeq` is not buffered).
   */
  stragglers: Message[];
  /**
   * The buffer holds every message the room accepted with seq above this; older ones must
   * come from history. Null when the room has no buffer at all (new room or Redis lost it).
   */
  completeAfter: number | null;
}

/** The last few hundred messages per room: covers the lag between confirm and MongoDB. */
export interface RecentBuffer {
  push(roomId: string, seq: number, messageJson: string): Promise<void>;
  since(roomId: string, sinceSeq: number, limit: number, stragglerWindowMs: number): Promise<RecentSlice>;
  /** Highest buffered seq, or null; a floor when a lost room counter is recovered. */
  highestSeq(roomId: string): Promise<number | null>;
}
