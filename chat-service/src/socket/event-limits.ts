import { AppError } from '@chat/service-kit';

export interface EventLimitSettings {
  /** Events one socket may have unanswered at once. */
  maxPending: number;
  /** `joinRoom` and `leaveRoom` frames one socket may send per `joinWindowMs`. */
  joinLimit: number;
  joinWindowMs: number;
  /** `markRead` and `typing` frames (together) one socket may send per `readWindowMs`. */
  readLimit: number;
  readWindowMs: number;
  /** Told of each refusal (metrics). */
  onLimited: (limit: 'join_rate' | 'read_rate' | 'pending_events') => void;
}

/** An event handler; the limits keep its answer's type. */
type Handle<T> = (payload: unknown) => Promise<T>;

/** A sliding-window count of one socket's frames of a kind. */
class SlidingWindow {
  /** Times of the last `limit` frames, a ring whose oldest entry is at `oldest` once full. */
  private times: number[] | null = null;
  private oldest = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** 0 when a frame may go ahead (and counts it), else whole seconds until one may. */
  take(now: number): number {
    const { limit, windowMs } = this;
    const times = (this.times ??= []);
    if (times.length < limit) {
      times.push(now);
      return 0;
    }
    const oldest = times[this.oldest]!;
    if (now - oldest < windowMs) return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    times[this.oldest] = now;
    this.oldest = (this.oldest + 1) % limit;
    return 0;
  }
}

/**
 * One socket's event budget (DESIGN.md §4.1): a bound on unanswered events, so one socket
 * cannot queue unbounded work, and sliding-window limits on membership changes (joins fan out
 * to history reads, joins and leaves to every node and the queue) and on read markers. Each
 * answers RATE_LIMITED with `retryAfterSec` and leaves the socket up. Per socket and
 * in-process: a socket lives on one node.
 */
export class SocketEventLimits {
  private pending = 0;
  private readonly joins: SlidingWindow;
  private readonly reads: SlidingWindow;

  constructor(private readonly settings: EventLimitSettings) {
    this.joins = new SlidingWindow(settings.joinLimit, settings.joinWindowMs);
    this.reads = new SlidingWindow(settings.readLimit, settings.readWindowMs);
  }

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

  /** `handle`, refused beyond `joinLimit` joins and leaves in any `joinWindowMs`. */
  joinLimited<T>(handle: Handle<T>): Handle<T> {
    return this.windowed(this.joins, 'join_rate', 'too many joins and leaves; slow down', handle);
  }

  /** `handle`, refused beyond `readLimit` calls in any `readWindowMs`. */
  readLimited<T>(handle: Handle<T>): Handle<T> {
    return this.windowed(this.reads, 'read_rate', 'too many read markers; slow down', handle);
  }

  private windowed<T>(
    window: SlidingWindow,
    limit: 'join_rate' | 'read_rate',
    why: string,
    handle: Handle<T>,
  ): Handle<T> {
    return (payload) => {
      const retryAfterSec = window.take(Date.now());
      if (retryAfterSec > 0) {
        this.settings.onLimited(limit);
        return Promise.reject(new AppError('RATE_LIMITED', why, { retryAfterSec }));
      }
      return handle(payload);
    };
  }
}
