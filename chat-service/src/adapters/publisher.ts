import { AppError } from '@chat/service-kit';

/** Durable hand-off of an accepted message; resolves only once the broker has confirmed it. */
export interface MessagePublisher {
  /**
   * Rejects with AppError UNAVAILABLE when the broker cannot confirm (timeout, return, block,
   * loss); with PublishOutcomeUnknown when the message was sent but may or may not be stored.
   */
  publish(roomId: string, messageId: string, body: Buffer): Promise<void>;
}

/**
 * The message left for the broker but no confirm came (timeout, channel or connection lost):
 * it may be queued. A resend must republish the same message (same id and seq), never a new
 * one, or history would keep this one while the sender was acked the other.
 */
export class PublishOutcomeUnknown extends AppError {
  constructor(why: string) {
    super('UNAVAILABLE', `message broker unavailable: ${why}; resend to confirm`);
  }
}
