import type { Message } from '@chat/contracts';

export interface RecentSlice {
  /** Buffered messages with seq > sinceSeq, in their current state, ascending, at most `limit`. */
  messages: Message[];
  /** Buffered changed messages with version > sinceSeq (whatever their seq), ascending version, at most `limit`. */
  changed: Message[];
  /**
   * The buffers hold every message the room accepted with seq above this and every change
   * with version above it; older ones must come from history. Null when the room has no
   * buffer at all (new room or Redis lost it).
   */
  completeAfter: number | null;
}

/** Where a message's state is: its compact record (docs/sequences.md, Room events). */
export interface MessageRecord {
  seq: number;
  version: number;
  senderId: string;
  deleted: boolean;
}

export interface BufferedMessage {
  /** Null: the message was never buffered, or so long ago that its record is gone. */
  record: MessageRecord | null;
  /** Its current state when a buffer still holds it. */
  message: Message | null;
}

/** A key written together with a buffered message, in the same round trip (a send's dedupe record). */
export interface RecordWrite {
  key: string;
  value: string;
  ttlSec: number;
}

/**
 * The last few hundred messages and changes per room: covers the lag between confirm and
 * MongoDB, and holds the current state of recent messages for edits, deletes and reactions.
 */
export interface RecentBuffer {
  /** A new message (and its record), with `also` written in the same round trip. */
  push(message: Message, messageJson: string, also?: RecordWrite): Promise<void>;
  since(roomId: string, sinceSeq: number, limit: number): Promise<RecentSlice>;
  /** A message's record and buffered state, in one read. */
  lookup(roomId: string, messageId: string): Promise<BufferedMessage>;
  /**
   * A change of a message, confirmed: its buffered state is replaced in place (same seq
   * position), the changes set gets it under its new version (dropping `previousVersion`'s
   * entry), its record follows, and, with `eventKey`, the result is kept for resends.
   */
  applyChange(message: Message, messageJson: string, previousVersion: number, eventKey?: string): Promise<void>;
  /** The result kept for a resend of a room event (see applyChange), or null. */
  eventResult(eventKey: string): Promise<Message | null>;
}
