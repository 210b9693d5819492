/** Durable hand-off of an accepted message; resolves only once the broker has confirmed it. */
export interface MessagePublisher {
  /** Rejects with AppError UNAVAILABLE when the broker cannot confirm (timeout, return, block, loss). */
  publish(roomId: string, messageId: string, body: Buffer): Promise<void>;
}
