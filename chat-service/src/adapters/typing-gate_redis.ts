import type { Redis } from 'ioredis';
import type { ChatKeys } from './keys.js';
import { redisUnavailable } from './redis-errors.js';
import type { TypingGate } from './typing-gate.js';

/**
 * KEYS: rate, shown. ARGV: 1|0 (typing), intervalMs, shownMs. 1 when the change is broadcast.
 * A `false` does not reset the rate: true/false pairs stay within one of each per interval.
 */
const PASS_LUA = `
if ARGV[1] == '1' then
  if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then return 0 end
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return 1
end
return redis.call('DEL', KEYS[2])
`;

interface TypingCommands {
  chatTypingPass(rate: string, shown: string, typing: 0 | 1, intervalMs: number, shownMs: number): Promise<number>;
}

export interface RedisTypingGateDeps {
  redis: Redis;
  keys: ChatKeys;
  /** At most one `typing: true` per user and room in this window. */
  intervalMs: number;
  /** How long clients show an indicator after the last `typing: true` (TYPING_TIMEOUT_MS). */
  shownMs: number;
}

export function createRedisTypingGate({ redis, keys, intervalMs, shownMs }: RedisTypingGateDeps): TypingGate {
  redis.defineCommand('chatTypingPass', { numberOfKeys: 2, lua: PASS_LUA });
  const commands = redis as unknown as TypingCommands;
  return {
    async pass(roomId, userId, typing) {
      const passed = await commands
        .chatTypingPass(
          keys.typingRate(roomId, userId),
          keys.typingShown(roomId, userId),
          typing ? 1 : 0,
          intervalMs,
          shownMs,
        )
        .catch(redisUnavailable);
      return passed === 1;
    },
  };
}
