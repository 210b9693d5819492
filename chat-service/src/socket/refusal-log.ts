import type { Logger } from '@chat/service-kit';

/**
 * Logs expected refusals (the broker or Redis down: UNAVAILABLE) at warn, without a stack and
 * once per change of reason per topic, not once per request: a broker restart under load is
 * a few lines, not hundreds. Real faults are not for this log; they stay errors.
 */
export class RefusalLog {
  /** topic → the reason it is refusing for, and how many refusals since that was logged. */
  private readonly refusing = new Map<string, { reason: string; repeats: number }>();

  constructor(private readonly log: Logger) {}

  refused(topic: string, reason: string): void {
    const now = this.refusing.get(topic);
    if (now?.reason === reason) {
      now.repeats++;
      return;
    }
    this.refusing.set(topic, { reason, repeats: 0 });
    this.log.warn({ topic, reason, ...(now ? { previous: now.reason, repeats: now.repeats } : {}) }, 'refusing');
  }

  /** The topic works again: one line saying how many refusals it ended. */
  served(topic: string): void {
    if (this.refusing.size === 0) return;
    const was = this.refusing.get(topic);
    if (!was) return;
    this.refusing.delete(topic);
    this.log.info({ topic, reason: was.reason, repeats: was.repeats }, 'serving again');
  }
}
