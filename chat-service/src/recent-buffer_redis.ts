import type { Message } from '@chat/contracts';
import type { Redis } from 'ioredis';
import type { ChatKeys } from './keys.js';
import { redisUnavailable } from './redis-errors.js';
import type { RecentBuffer } from './recent-buffer.js';

/**
 * Add a message and trim to size, keeping the floor (the seq after which the buffer is
 * complete) right: a new buffer is complete after seq-1, and eviction raises the floor.
 * Push times (Redis' clock, so one clock for all nodes) go to a second set, seq by time.
 * KEYS: recent, floor, pushed. ARGV: seq, json, size, ttlSec.
 */
const PUSH_LUA = `
local seq = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[2], seq - 1) end
redis.call('ZADD', KEYS[1], seq, ARGV[2])
local now = redis.call('TIME')
redis.call('ZADD', KEYS[3], tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000), seq)
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess > 0 then
  local evicted = redis.call('ZPOPMIN', KEYS[1], excess)
  for i = 2, #evicted, 2 do redis.call('ZREM', KEYS[3], evicted[i]) end
  local top = tonumber(evicted[#evicted])
  if top > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], top) end
end
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
return 1
`;

/**
 * Floor, messages after sinceSeq, and stragglers (lower seqs pushed within the window
 * before sinceSeq's push). KEYS: recent, floor, pushed. ARGV: sinceSeq, limit, windowMs.
 */
const SINCE_LUA = `
local since = tonumber(ARGV[1])
local newer = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'LIMIT', 0, tonumber(ARGV[2]))
local stragglers = {}
local pushedAt = redis.call('ZSCORE', KEYS[3], ARGV[1])
if pushedAt then
  local seqs = redis.call('ZRANGEBYSCORE', KEYS[3], tonumber(pushedAt) - tonumber(ARGV[3]), '+inf')
  for _, s in ipairs(seqs) do
    local n = tonumber(s)
    if n < since then
      local found = redis.call('ZRANGEBYSCORE', KEYS[1], n, n)
      if found[1] then stragglers[#stragglers + 1] = found[1] end
    end
  end
end
return {redis.call('GET', KEYS[2]), newer, stragglers}
`;

interface RecentCommands {
  chatRecentPush(
    recent: string,
    floor: string,
    pushed: string,
    seq: number,
    json: string,
    size: number,
    ttlSec: number,
  ): Promise<number>;
  chatRecentSince(
    recent: string,
    floor: string,
    pushed: string,
    sinceSeq: number,
    limit: number,
    windowMs: number,
  ): Promise<[string | null, string[], string[]]>;
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
  redis.defineCommand('chatRecentPush', { numberOfKeys: 3, lua: PUSH_LUA });
  redis.defineCommand('chatRecentSince', { numberOfKeys: 3, lua: SINCE_LUA });
  const commands = redis as unknown as RecentCommands;
  const roomKeys = (roomId: string) =>
    [keys.roomRecent(roomId), keys.roomRecentFloor(roomId), keys.roomRecentPushed(roomId)] as const;
  // Our own records, written by push() from a validated Message.
  const parse = (entries: string[]) => entries.map((json) => JSON.parse(json) as Message);

  return {
    async push(roomId, seq, messageJson) {
      await commands.chatRecentPush(...roomKeys(roomId), seq, messageJson, size, ttlSec).catch(redisUnavailable);
    },
    async since(roomId, sinceSeq, limit, stragglerWindowMs) {
      const [floor, newer, stragglers] = await commands
        .chatRecentSince(...roomKeys(roomId), sinceSeq, limit, stragglerWindowMs)
        .catch(redisUnavailable);
      return {
        messages: parse(newer),
        stragglers: parse(stragglers),
        completeAfter: floor === null ? null : Number(floor),
      };
    },
    async highestSeq(roomId) {
      const top = await redis.zrange(keys.roomRecent(roomId), -1, -1, 'WITHSCORES').catch(redisUnavailable);
      return top.length === 2 ? Number(top[1]) : null;
    },
  };
}
