import type { Message } from '@chat/contracts';
import type { Redis } from 'ioredis';
import type { ChatKeys } from './keys.js';
import { redisUnavailable } from './redis-errors.js';
import type { RecentBuffer } from './recent-buffer.js';

/**
 * Add a message and trim to size, keeping the floor (the seq after which the buffer is
 * complete) right: a new buffer is complete after seq-1, and eviction raises the floor.
 * KEYS: recent, floor. ARGV: seq, json, size, ttlSec.
 */
const PUSH_LUA = `
local seq = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[2], seq - 1) end
redis.call('ZADD', KEYS[1], seq, ARGV[2])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess > 0 then
  local evicted = redis.call('ZPOPMIN', KEYS[1], excess)
  local top = tonumber(evicted[#evicted])
  if top > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], top) end
end
for i = 1, 2 do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
return 1
`;

/** Floor and the messages after sinceSeq, in one read. KEYS: recent, floor. ARGV: sinceSeq, limit. */
const SINCE_LUA = `
local newer = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'LIMIT', 0, tonumber(ARGV[2]))
return {redis.call('GET', KEYS[2]), newer}
`;

interface RecentCommands {
  chatRecentPush(
    recent: string,
    floor: string,
    seq: number,
    json: string,
    size: number,
    ttlSec: number,
  ): Promise<number>;
  chatRecentSince(recent: string, floor: string, sinceSeq: number, limit: number): Promise<[string | null, string[]]>;
}

export interface RedisRecentBufferOptions {
  redis: Redis;
  keys: ChatKeys;
  size: number;
  /** Idle rooms drop their buffer; history has everything by then. */
  ttlSec?: number;
}

export function createRedisRecentBuffer(opts: RedisRecentBufferOptions): RecentBuffer {
  const { redis, keys, size } = opts;
  const ttlSec = opts.ttlSec ?? 7 * 86_400;
  redis.defineCommand('chatRecentPush', { numberOfKeys: 2, lua: PUSH_LUA });
  redis.defineCommand('chatRecentSince', { numberOfKeys: 2, lua: SINCE_LUA });
  const commands = redis as unknown as RecentCommands;
  const roomKeys = (roomId: string) => [keys.roomRecent(roomId), keys.roomRecentFloor(roomId)] as const;

  return {
    async push(roomId, seq, messageJson) {
      await commands.chatRecentPush(...roomKeys(roomId), seq, messageJson, size, ttlSec).catch(redisUnavailable);
    },
    async since(roomId, sinceSeq, limit) {
      const [floor, newer] = await commands
        .chatRecentSince(...roomKeys(roomId), sinceSeq, limit)
        .catch(redisUnavailable);
      return {
        // Our own records, written by push() from a validated Message.
        messages: newer.map((json) => JSON.parse(json) as Message),
        completeAfter: floor === null ? null : Number(floor),
      };
    },
  };
}
