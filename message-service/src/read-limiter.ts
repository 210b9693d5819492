import type { Logger } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import type { MessageServiceKeys } from './keys.js';
import type { MessageServiceMetrics } from './metrics.js';
import { UserRateLimiter } from './user-rate-limiter.js';

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
 * Per-user read limit shared by every replica (DESIGN.md §4.1: history, search and member
 * reads 20 per user per second, one budget for all of them). With Redis down or slow the read
 * is let through (as history itself is served from MongoDB then) and counted in
 * `read_rate_limiter_failures_total`.
 */
export class ReadLimiter extends UserRateLimiter {
  constructor(opts: ReadLimiterOptions) {
    super({
      redis: opts.redis,
      log: opts.log,
      key: opts.keys.readRate,
      limit: opts.perSec,
      windowMs: 1000,
      timeoutMs: opts.timeoutMs,
      limited: opts.metrics.readsLimited,
      failures: opts.metrics.readLimiterFailures,
      refusal: `at most ${opts.perSec} reads per second`,
    });
  }
}
