import { AppError } from '@chat/service-kit';

export interface EventLimitSettings {
  /** Events one socket may have unanswered at once. */
  maxPending: number;
  /** `joinRoom` frames one socket may send per `joinWindowMs`. */
  joinLimit: number;
  joinWindowMs: number;
  /** Told of each refusal (metrics). */
  onLimited: (limit: 'join_rate' | 'pending_events') => void;
}

/** An event handler; the limits keep its answer's type. */
type Handle<T> = (payload: unknown) => Promise<T>;

/**
 * One socket's event budget (DESIGN.md §4.1): a bound on unanswered events, so one socket
 * cannot queue unbounded work, and a sliding-window limit on joins, which fan out to history
 * reads. Both answer RATE_LIMITED with `retryAfterSec` and leave the socket up. Per socket and
 * in-process: a socket lives on one node.
 */
export class SocketEventLimits {
  private pending = 0;
  /** Times of the last `joinLimit` joins, a ring whose oldest entry is at `oldest` once full. */
  private joins: number[] | null = null;
  private oldest = 0;

  constructor(private readonly settings: EventLimitSettings) {}

  /** `handle`, refused while the socket already has `maxPending` events unanswered. */
  bounded<T>(handle: Handle<T>): Handle<T> {
    return async (payload) => {
      if (this.pending >= this.settings.maxPending) {
        this.settings.onLimited('pending_events');
        throw new AppError('RATE_LIMITED', 'too many unanswered requests on this connection', { retryAfterSec: 1 });
      }
      this.pending++;
      try {
        return await handle(payload);
      } finally {
        this.pending--;
      }
    };
  }

  /** `handle`, refused beyond `joinLimit` calls in any `joinWindowMs`. */
  joinLimited<T>(handle: Handle<T>): Handle<T> {
    return (payload) => {
      const retryAfterSec = this.takeJoin(Date.now());
      if (retryAfterSec > 0) {
        this.settings.onLimited('join_rate');
        return Promise.reject(new AppError('RATE_LIMITED', 'too many joins; slow down', { retryAfterSec }));
      }
      return handle(payload);
    };
  }

  /** 0 when a join may go ahead (and counts it), else whole seconds until one may. */
  private takeJoin(now: number): number {
    const { joinLimit, joinWindowMs } = this.settings;
    const joins = (this.joins ??= []);
    if (joins.length < joinLimit) {
      joins.push(now);
      return 0;
    }
    const oldest = joins[this.oldest]!;
    if (now - oldest < joinWindowMs) return Math.max(1, Math.ceil((oldest + joinWindowMs - now) / 1000));
    joins[this.oldest] = now;
    this.oldest = (this.oldest + 1) % joinLimit;
    return 0;
  }
}
