import { AppError } from '@chat/service-kit';
import type { MessagePublisher } from './publisher.js';

/** Records what would reach the broker; tests can fail or hold the next publishes. */
export class MemoryPublisher implements MessagePublisher {
  readonly published: { roomId: string; messageId: string; body: string }[] = [];
  private failures = 0;
  private gate: Promise<void> | null = null;

  /** The next `count` publishes fail as an unconfirmed broker would. */
  failNext(count = 1): void {
    this.failures += count;
  }

  /** Hold publishes until the returned release() is called. */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = null;
      release();
    };
  }

  async publish(roomId: string, messageId: string, body: Buffer): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failures > 0) {
      this.failures--;
      throw new AppError('UNAVAILABLE', 'message broker unavailable: test failure');
    }
    this.published.push({ roomId, messageId, body: body.toString() });
  }
}
