import type { Message } from '@chat/contracts';
import type { Redis } from 'ioredis';
import type { ChatKeys } from './keys.js';
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
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
`;

interface RecentCommands {
  chatRecentPush(recent: string, floor: string, seq: number, json: string, size: number, ttlSec: number): Promise<number>;
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
  const commands = redis as unknown as RecentCommands;

  return {
    async push(roomId, seq, messageJson) {
      await commands.chatRecentPush(keys.roomRecent(roomId), keys.roomRecentFloor(roomId), seq, messageJson, size, ttlSec);
    },
    async since(roomId, sinceSeq, limit) {
      const replies = await redis
        .multi()
        .get(keys.roomRecentFloor(roomId))
        .zrangebyscore(keys.roomRecent(roomId), `(${sinceSeq}`, '+inf', 'LIMIT', 0, limit)
        .exec();
      const failed = replies?.find(([err]) => err !== null);
      if (!replies || failed) throw failed?.[0] ?? new Error('recent buffer read aborted');
      const floor = replies[0]![1] as string | null;
      const entries = replies[1]![1] as string[];
      return {
        // Our own records, written by push() from a validated Message.
        messages: entries.map((json) => JSON.parse(json) as Message),
        completeAfter: floor === null ? null : Number(floor),
      };
    },
    async highestSeq(roomId) {
      const top = await redis.zrange(keys.roomRecent(roomId), -1, -1, 'WITHSCORES');
      return top.length === 2 ? Number(top[1]) : null;
    },
  };
}
