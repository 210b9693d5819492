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

  private async exec(multi: ReturnType<Redis['multi']>): Promise<unknown[]> {
    const replies = await limiterCall(multi.exec());
    if (!replies) throw new AppError('UNAVAILABLE', 'rate limiter unavailable');
    const failed = replies.find(([err]) => err !== null);
    if (failed) throw new AppError('UNAVAILABLE', 'rate limiter unavailable', { cause: failed[0] });
    return replies.map(([, value]) => value);
  }
}

/** A limiter's Redis call: any failure is UNAVAILABLE (a limit is never skipped while Redis is away). */
export async function limiterCall<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw new AppError('UNAVAILABLE', 'rate limiter unavailable', { cause: err });
  }
}

function retryAfter(pttlMs: number, windowSec: number): number {
  return pttlMs > 0 ? Math.ceil(pttlMs / 1000) : windowSec;
}

export function rateLimited(message: string, retryAfterSec: number): AppError {
  return new AppError('RATE_LIMITED', message, { retryAfterSec });
}
