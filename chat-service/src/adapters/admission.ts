import type { Message } from '@chat/contracts';
import type { RecordWrite } from './recent-buffer.js';

/**
 * Whether a send may go ahead. Sequence, rate limit and idempotency are one concern here
 * because they must be decided atomically: a duplicate or rate-limited send must not consume
 * a seq, and two concurrent resends must not both be accepted.
 */
export type Admission =
  /** Go ahead with this seq; a pending claim on the clientMsgId is held until commit or release. */
  | { kind: 'accepted'; seq: number }
  /** Already accepted earlier: answer with the original, rebuilt from this record. */
  | { kind: 'duplicate'; record: SentRecord }
  /**
   * An earlier publish of this clientMsgId has an unknown outcome: republish exactly this
   * message. A pending claim is held, as for `accepted`.
   */
  | { kind: 'uncertain'; message: Message }
  /** The same clientMsgId is being published right now (a concurrent resend). */
  | { kind: 'in-flight' }
  | { kind: 'rate-limited'; retryAfterSec: number };

/**
 * What is kept of an accepted send for its resends (for the dedupe TTL). The message id is
 * derived from (roomId, senderId, clientMsgId) and the text comes with the resend, so the
 * ack is rebuilt from these few fields; `textHash` tells a resend from a reuse of the id.
 */
export interface SentRecord {
  seq: number;
  /** The message's `createdAt`, in ms since the epoch (as stored). */
  createdAtMs: number;
  textHash: string;
}

export type EventAdmission = { kind: 'accepted'; seq: number } | { kind: 'rate-limited'; retryAfterSec: number };

export interface SendRequest {
  userId: string;
  roomId: string;
  /** Derived from (roomId, userId, clientMsgId): names the send for deduplication. */
  messageId: string;
  /** Unique per attempt: marks the pending claim as this attempt's own. */
  claim: string;
  /** This sender's accepted sends per minute, when not the users' default (the system sender's). */
  ratePerMinute?: number;
}

export interface SendAdmission {
  admit(req: SendRequest): Promise<Admission>;
  /**
   * The record that makes resends of the confirmed message answer it: written with the
   * message's buffer push (RecentBuffer.push `also`), so a send costs one round trip after
   * its confirm. Unconditional: the publish is confirmed, so this record is the truth even if
   * our claim expired meanwhile (any other attempt carries the same id).
   */
  commitRecord(req: SendRequest, record: SentRecord): RecordWrite;
  /** Drop our pending claim after a failed publish, so a resend is accepted anew. */
  release(req: SendRequest): Promise<void>;
  /** Replace our pending claim with the message whose publish outcome is unknown. */
  markUncertain(req: SendRequest, messageJson: string): Promise<void>;
  /**
   * A room event (edit, delete, reaction): counted in the user's send budget, given the
   * room's next seq (its version) by the same authority as sends.
   */
  admitEvent(userId: string, roomId: string): Promise<EventAdmission>;
  /** The last seq the room handed out, or null when it has none. */
  lastSeq(roomId: string): Promise<number | null>;
}
