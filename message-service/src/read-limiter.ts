import { AppError, type Logger } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import type { MessageServiceKeys } from './keys.js';
import type { MessageServiceMetrics } from './metrics.js';
import { redisWithin } from './redis-timeout.js';

export interface ReadLimiterOptions {
  redis: Redis;
  keys: MessageServiceKeys;
  metrics: MessageServiceMetrics;
  log: Logger;
  /** Reads per user per second (READ_RATE_LIMIT_PER_SEC). */
  perSec: number;
  /** Bound on the Redis round trip; slower lets the read through. */
  timeoutMs: number;
}

/**
 * Counts a hit in the user's one-second window and answers [hits so far, ms left in the
 * window]. The window starts at the first hit and is created with its expiry in the same
 * script, so it can never be left without one.
 */
const HIT_SCRIPT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], 1000) end
return {n, redis.call('PTTL', KEYS[1])}`;

/**
 * Per-user read limit shared by every replica through Redis (DESIGN.md §4.1: history, search
 * and member reads 20 per user per second, one budget for all of them). A route calls
 * `take(userId)` after verifying the token; over the limit it throws RATE_LIMITED with
 * `retryAfterSec` (the error handler adds `Retry-After`). With Redis down or slow the read is
 * let through (fail open, as history itself is served from MongoDB then) and counted in
 * `read_rate_limiter_failures_total`.
 */
export class ReadLimiter {
  private failing = false;

  constructor(private readonly opts: ReadLimiterOptions) {}

  async take(userId: string): Promise<void> {
    let hits: number;
    let pttlMs: number;
    try {
      const reply = (await redisWithin(
        this.opts.timeoutMs,
        this.opts.redis.eval(HIT_SCRIPT, 1, this.opts.keys.readRate(userId)),
      )) as [number, number];
      [hits, pttlMs] = reply;
      this.failing = false;
    } catch (err) {
      this.opts.metrics.readLimiterFailures.inc();
      if (!this.failing)
        this.opts.log.warn({ err: (err as Error).message }, 'read limiter unavailable; reads not limited');
      this.failing = true;
      return;
    }
    if (hits <= this.opts.perSec) return;
    this.opts.metrics.readsLimited.inc();
    throw new AppError('RATE_LIMITED', `at most ${this.opts.perSec} reads per second`, {
      retryAfterSec: Math.max(1, Math.ceil(pttlMs / 1000)),
    });
  }
}
