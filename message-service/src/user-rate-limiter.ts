import { AppError, type Logger } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { redisWithin } from './redis-timeout.js';

export interface UserRateLimiterOptions {
  redis: Redis;
  log: Logger;
  /** The Redis key of a user's current window. */
  key: (userId: string) => string;
  /** Hits allowed per user per window. */
  limit: number;
  windowMs: number;
  /** Bound on the Redis round trip; slower lets the hit through. */
  timeoutMs: number;
  /** Counted for each refused hit, and for each hit let through because Redis failed. */
  limited: Counter;
  failures: Counter;
  /** The refusal's message, e.g. `at most 20 reads per second`. */
  refusal: string;
}

/**
 * Counts a hit in the user's window and answers [hits so far, ms left in the window]. The
 * window starts at the first hit and is created with its expiry in the same script, so it can
 * never be left without one.
 */
const HIT_SCRIPT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

/**
 * A fixed-window limit per user shared by every replica through Redis. A route calls
 * `take(userId)` after verifying the token; over the limit it throws RATE_LIMITED with
 * `retryAfterSec` (the error handler adds `Retry-After`). With Redis down or slow the hit is
 * let through (fail open) and counted in `failures`.
 */
export class UserRateLimiter {
  private failing = false;

  constructor(private readonly opts: UserRateLimiterOptions) {}

  async take(userId: string): Promise<void> {
    let hits: number;
    let pttlMs: number;
    try {
      const reply = (await redisWithin(
        this.opts.timeoutMs,
        this.opts.redis.eval(HIT_SCRIPT, 1, this.opts.key(userId), this.opts.windowMs),
      )) as [number, number];
      [hits, pttlMs] = reply;
      this.failing = false;
    } catch (err) {
      this.opts.failures.inc();
      if (!this.failing) this.opts.log.warn({ err: (err as Error).message }, 'rate limiter unavailable; not limiting');
      this.failing = true;
      return;
    }
    if (hits <= this.opts.limit) return;
    this.opts.limited.inc();
    throw new AppError('RATE_LIMITED', this.opts.refusal, { retryAfterSec: Math.max(1, Math.ceil(pttlMs / 1000)) });
  }
}
