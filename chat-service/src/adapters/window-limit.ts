import type { Redis } from 'ioredis';
import { redisUnavailable } from './redis-errors.js';

/**
 * Count one event in a fixed window; beyond `limit`, answer the seconds until the window ends.
 * KEYS: the counter. ARGV: limit, windowSec. Returns -1 when allowed.
 */
const TAKE_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return math.max(1, redis.call('TTL', KEYS[1])) end
return -1
`;

interface WindowCommands {
  chatTakeWindow(key: string, limit: number, windowSec: number): Promise<number>;
}

/** A fixed-window counter in Redis, shared by every node: `take(key)` is 0 or the retry-after seconds. */
export function createWindowLimit(redis: Redis, limit: number, windowSec: number) {
  redis.defineCommand('chatTakeWindow', { numberOfKeys: 1, lua: TAKE_LUA });
  const commands = redis as unknown as WindowCommands;
  return {
    async take(key: string): Promise<number> {
      const retryAfterSec = await commands.chatTakeWindow(key, limit, windowSec).catch(redisUnavailable);
      return Math.max(0, retryAfterSec);
    },
  };
}
