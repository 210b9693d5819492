import type { Message } from '@chat/contracts';

/**
 * Whether a send may go ahead. Sequence, rate limit and idempotency are one concern here
 * because they must be decided atomically: a duplicate or rate-limited send must not consume
 * a seq, and two concurrent resends must not both be accepted.
 */
export type Admission =
  /** Go ahead with this seq; a pending claim on the clientMsgId is held until commit or release. */
  | { kind: 'accepted'; seq: number }
  /** Already accepted earlier: answer with the original message. */
  | { kind: 'duplicate'; message: Message }
  /**
   * An earlier publish of this clientMsgId has an unknown outcome: republish exactly this
   * message. A pending claim is held, as for `accepted`.
   */
  | { kind: 'uncertain'; message: Message }
  /** The same clientMsgId is being published right now (a concurrent resend). */
  | { kind: 'in-flight' }
  | { kind: 'rate-limited'; retryAfterSec: number }
  /** The room has no counter (new room, or Redis lost it): seed it, then ask again. */
  | { kind: 'unseeded' };

export interface SendRequest {
  userId: string;
  roomId: string;
  clientMsgId: string;
  /** Id of the message this send would create; marks the pending claim as ours. */
  messageId: string;
}

export interface SendAdmission {
  admit(req: SendRequest): Promise<Admission>;
  /** Record the confirmed message so that resends answer it (`messageJson` is the Message). */
  commit(req: SendRequest, messageJson: string): Promise<void>;
  /** Drop our pending claim after a failed publish, so a resend is accepted anew. */
  release(req: SendRequest): Promise<void>;
  /** Replace our pending claim with the message whose publish outcome is unknown. */
  markUncertain(req: SendRequest, messageJson: string): Promise<void>;
  /** Set the room counter to `floor` unless it exists (the next seq is `floor + 1`). */
  seedSequence(roomId: string, floor: number): Promise<void>;
  /** Raise an existing room counter to `floor` if it is lower (a missing one stays missing). */
  raiseSequence(roomId: string, floor: number): Promise<void>;
  /** The room counter, or null when it does not exist. */
  lastSeq(roomId: string): Promise<number | null>;
}
