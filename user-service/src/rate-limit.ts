import { AppError } from '@chat/service-kit';
import type { Redis } from 'ioredis';

export interface Limit {
  max: number;
  windowSec: number;
}

/** A counter's state after a change: how many hits in the current window, and when it ends. */
export interface WindowState {
  count: number;
  retryAfterSec: number;
}

/**
 * Fixed-window counters in Redis, shared by every instance. The window starts at the first
 * hit (the key is created with its expiry and incremented in one MULTI), so a burst of
 * parallel requests sees consecutive counts and cannot all slip under the limit.
 */
export class WindowCounter {
  constructor(private readonly redis: Redis) {}

  async hit(key: string, windowSec: number): Promise<WindowState> {
    const replies = await this.exec(this.redis.multi().set(key, '0', 'EX', windowSec, 'NX').incr(key).pttl(key));
    return { count: Number(replies[1]), retryAfterSec: retryAfter(Number(replies[2]), windowSec) };
  }

  /** Give back one hit (an attempt that turned out not to count, e.g. a successful login). */
  async refund(key: string): Promise<void> {
    // Only while the window still exists: a DECR on a missing key would start a window without expiry.
    await this.exec(this.redis.multi().eval(REFUND_SCRIPT, 1, key));
  }

  async reset(key: string): Promise<void> {
    await this.exec(this.redis.multi().del(key));
  }

  private async exec(multi: ReturnType<Redis['multi']>): Promise<unknown[]> {
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await multi.exec();
    } catch (err) {
      throw new AppError('UNAVAILABLE', 'rate limiter unavailable', { cause: err });
    }
    if (!replies) throw new AppError('UNAVAILABLE', 'rate limiter unavailable');
    const failed = replies.find(([err]) => err !== null);
    if (failed) throw new AppError('UNAVAILABLE', 'rate limiter unavailable', { cause: failed[0] });
    return replies.map(([, value]) => value);
  }
}

const REFUND_SCRIPT = `if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0`;

function retryAfter(pttlMs: number, windowSec: number): number {
  return pttlMs > 0 ? Math.ceil(pttlMs / 1000) : windowSec;
}

export function rateLimited(message: string, retryAfterSec: number): AppError {
  return new AppError('RATE_LIMITED', message, { retryAfterSec });
}
