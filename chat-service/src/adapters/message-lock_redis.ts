import { randomUUID } from 'node:crypto';
import { AppError, sleep } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import type { ChatKeys } from './keys.js';
import { redisUnavailable } from './redis-errors.js';

/** Delete the lock only if it is still ours. */
const UNLOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const POLL_MS = 10;

export interface MessageLock {
  /** Runs `work` while holding the message's lock (shared by every node); UNAVAILABLE when it cannot be had in time. */
  withLock<T>(roomId: string, messageId: string, work: () => Promise<T>): Promise<T>;
}

export interface RedisMessageLockOptions {
  redis: Redis;
  keys: ChatKeys;
  /** How long a lock outlives a node that died holding it; above the longest change (a publish confirm). */
  holdMs: number;
  /** How long to wait for a lock held by another change of the same message. */
  waitMs: number;
}

/**
 * A short per-message lock (SET NX PX): one change of a message at a time across nodes, so
 * two reactions read-modify-write in turn and neither is lost.
 */
export function createRedisMessageLock(opts: RedisMessageLockOptions): MessageLock {
  const { redis, keys } = opts;
  redis.defineCommand('chatUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
  const unlock = (key: string, token: string) =>
    (redis as unknown as { chatUnlock(key: string, token: string): Promise<number> }).chatUnlock(key, token);

  return {
    async withLock(roomId, messageId, work) {
      const key = keys.messageLock(roomId, messageId);
      const token = randomUUID();
      const giveUpAt = Date.now() + opts.waitMs;
      while ((await redis.set(key, token, 'PX', opts.holdMs, 'NX').catch(redisUnavailable)) === null) {
        if (Date.now() >= giveUpAt) throw new AppError('UNAVAILABLE', 'this message is busy; retry');
        await sleep(POLL_MS);
      }
      try {
        return await work();
      } finally {
        // Expires by itself if this fails.
        await unlock(key, token).catch(() => undefined);
      }
    },
  };
}
