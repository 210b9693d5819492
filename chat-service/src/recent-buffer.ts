import type { Message } from '@chat/contracts';

export interface RecentSlice {
  /** Buffered messages with seq > sinceSeq, ascending, at most `limit`. */
  messages: Message[];
  /**
   * The buffer holds every message the room accepted with seq above this; older ones must
   * come from history. Null when the room has no buffer at all (new room or Redis lost it).
   */
  completeAfter: number | null;
}

/** The last few hundred messages per room: covers the lag between confirm and MongoDB. */
export interface RecentBuffer {
  push(roomId: string, seq: number, messageJson: string): Promise<void>;
  since(roomId: string, sinceSeq: number, limit: number): Promise<RecentSlice>;
}
