import type { Message } from '@chat/contracts';
import type { Redis } from 'ioredis';
import type { ChatKeys } from './keys.js';
import type { BufferedMessage, MessageRecord, RecentBuffer } from './recent-buffer.js';
import { redisUnavailable } from './redis-errors.js';

/**
 * Trim the sorted set `zset` to ARGV size `size`, raising `floorKey` (the score after which
 * it is complete) past what it evicts. Shared by the messages and the changes buffers.
 * KEEPTTL: the floor keeps the TTL it shares with the buffers (pushes refresh TTLs rarely).
 */
const TRIM_LUA = `
local excess = redis.call('ZCARD', zset) - size
if excess > 0 then
  local evicted = redis.call('ZPOPMIN', zset, excess)
  local top = tonumber(evicted[#evicted])
  if top > tonumber(redis.call('GET', floorKey) or '0') then redis.call('SET', floorKey, top, 'KEEPTTL') end
end
`;

/**
 * Add a message and trim to size, keeping the floor (the seq after which the buffer is
 * complete) right: a new buffer is complete after seq-1, and eviction raises the floor. A
 * new buffer starts the changes buffer's floor there too, if it has none, and every key of
 * the room's buffers lives as long as the others (one TTL, refreshed together). The TTLs are
 * refreshed only once the buffer's has run down by `refreshSec` (a new buffer has none yet):
 * one TTL read per push instead of four EXPIREs. With the message go its record and, when
 * given, the send's dedupe record (`also`): every write after a send's confirm, one round trip.
 * KEYS: recent, floor, changes, changesFloor, record, also (or '').
 * ARGV: seq, json, size, ttlSec, refreshSec, record, recordTtlSec, also's value, also's ttlSec.
 */
const PUSH_LUA = `
local seq = tonumber(ARGV[1])
local size = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[2], seq - 1)
  if redis.call('EXISTS', KEYS[4]) == 0 then redis.call('SET', KEYS[4], seq - 1) end
end
redis.call('ZADD', KEYS[1], seq, ARGV[2])
local zset, floorKey = KEYS[1], KEYS[2]
${TRIM_LUA}
redis.call('SET', KEYS[5], ARGV[6], 'EX', ARGV[7])
if KEYS[6] ~= '' then redis.call('SET', KEYS[6], ARGV[8], 'EX', ARGV[9]) end
if redis.call('TTL', KEYS[1]) < ttl - tonumber(ARGV[5]) then
  for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
end
return 1
`;

/**
 * A confirmed change: the buffered copy (if still buffered) is replaced at its seq, the
 * changes set gets the new state under its version (versions are unique room seqs, so the
 * previous entry is the one at `previousVersion`), the record follows, and the result is
 * kept for resends when an event key is given. A changes set created now is complete after
 * the recent buffer's floor (every change since that buffer began comes here, and the two
 * expire together), or with no buffer at all after version-1.
 * KEYS: recent, floor, changes, changesFloor, record, event (or '').
 * ARGV: seq, previousVersion, version, json, size, ttlSec, record, recordTtlSec (also the event's).
 */
const CHANGE_LUA = `
local seq = ARGV[1]
local size = tonumber(ARGV[5])
if redis.call('ZREMRANGEBYSCORE', KEYS[1], seq, seq) > 0 then redis.call('ZADD', KEYS[1], seq, ARGV[4]) end
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('SET', KEYS[4], redis.call('GET', KEYS[2]) or (tonumber(ARGV[3]) - 1))
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], ARGV[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
local zset, floorKey = KEYS[3], KEYS[4]
${TRIM_LUA}
redis.call('SET', KEYS[5], ARGV[7], 'EX', ARGV[8])
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end
if KEYS[6] ~= '' then redis.call('SET', KEYS[6], ARGV[4], 'EX', ARGV[8]) end
return 1
`;

/**
 * Floors and what changed after sinceSeq, in one read.
 * KEYS: recent, floor, changes, changesFloor. ARGV: sinceSeq, limit.
 */
const SINCE_LUA = `
local newer = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'LIMIT', 0, tonumber(ARGV[2]))
local changed = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '+inf', 'LIMIT', 0, tonumber(ARGV[2]))
return {redis.call('GET', KEYS[2]), newer, redis.call('GET', KEYS[4]), changed}
`;

/** A message's record and where its state is buffered. KEYS: record, recent, changes. */
const LOOKUP_LUA = `
local rec = redis.call('GET', KEYS[1])
if not rec then return {false, false} end
local seq, version = string.match(rec, '^(%d+):(%d+):')
local json = redis.call('ZRANGEBYSCORE', KEYS[2], seq, seq)[1]
if not json then json = redis.call('ZRANGEBYSCORE', KEYS[3], version, version)[1] end
return {rec, json or false}
`;

interface RecentCommands {
  chatRecentPush(...args: (string | number)[]): Promise<number>;
  chatRecentChange(...args: (string | number)[]): Promise<number>;
  chatRecentSince(...args: (string | number)[]): Promise<[string | null, string[], string | null, string[]]>;
  chatRecentLookup(record: string, recent: string, changes: string): Promise<[string | null, string | null]>;
}

export interface RedisRecentBufferOptions {
  redis: Redis;
  keys: ChatKeys;
  size: number;
  /** Idle rooms drop their buffer; history has everything by then. */
  ttlSec?: number;
  /**
   * How long a message's record and a room event's result are kept (DEDUPE_TTL_SEC): a
   * message changed later than this is found through message-service.
   */
  recordTtlSec?: number;
}

export function createRedisRecentBuffer(opts: RedisRecentBufferOptions): RecentBuffer {
  const { redis, keys, size } = opts;
  const ttlSec = opts.ttlSec ?? 7 * 86_400;
  /** A push refreshes the buffers' TTL once it has run down this far: an idle room keeps it for ttlSec minus at most this. */
  const refreshSec = Math.min(3600, Math.floor(ttlSec / 10));
  const recordTtlSec = opts.recordTtlSec ?? 86_400;
  redis.defineCommand('chatRecentPush', { numberOfKeys: 6, lua: PUSH_LUA });
  redis.defineCommand('chatRecentChange', { numberOfKeys: 6, lua: CHANGE_LUA });
  redis.defineCommand('chatRecentSince', { numberOfKeys: 4, lua: SINCE_LUA });
  redis.defineCommand('chatRecentLookup', { numberOfKeys: 3, lua: LOOKUP_LUA });
  const commands = redis as unknown as RecentCommands;
  const roomKeys = (roomId: string) =>
    [
      keys.roomRecent(roomId),
      keys.roomRecentFloor(roomId),
      keys.roomChanges(roomId),
      keys.roomChangesFloor(roomId),
    ] as const;
  /** The room's buffers and the message's record: the keys of a push and of a change. */
  const messageKeys = (m: Message) => [...roomKeys(m.roomId), keys.messageRecord(m.roomId, m.id)] as const;
  // Our own records, written by push() and applyChange() from validated Messages.
  const parse = (json: string) => JSON.parse(json) as Message;

  return {
    async push(message, messageJson, also) {
      await commands
        .chatRecentPush(
          ...messageKeys(message),
          also?.key ?? '',
          message.seq,
          messageJson,
          size,
          ttlSec,
          refreshSec,
          encodeRecord(message),
          recordTtlSec,
          also?.value ?? '',
          also?.ttlSec ?? 0,
        )
        .catch(redisUnavailable);
    },
    async since(roomId, sinceSeq, limit) {
      const [floor, newer, changesFloor, changed] = await commands
        .chatRecentSince(...roomKeys(roomId), sinceSeq, limit)
        .catch(redisUnavailable);
      return {
        messages: newer.map(parse),
        changed: changed.map(parse),
        completeAfter: floor === null ? null : Math.max(Number(floor), Number(changesFloor ?? floor)),
      };
    },
    async lookup(roomId, messageId): Promise<BufferedMessage> {
      const [record, json] = await commands
        .chatRecentLookup(keys.messageRecord(roomId, messageId), keys.roomRecent(roomId), keys.roomChanges(roomId))
        .catch(redisUnavailable);
      const message = json === null ? null : parse(json);
      return {
        record: record === null ? null : decodeRecord(record),
        // A seq is never reused for another message, but an id check costs nothing.
        message: message?.id === messageId ? message : null,
      };
    },
    async applyChange(message, messageJson, previousVersion, eventKey) {
      await commands
        .chatRecentChange(
          ...messageKeys(message),
          eventKey ?? '',
          message.seq,
          previousVersion,
          message.version,
          messageJson,
          size,
          ttlSec,
          encodeRecord(message),
          recordTtlSec,
        )
        .catch(redisUnavailable);
    },
    async eventResult(eventKey) {
      const json = await redis.get(eventKey).catch(redisUnavailable);
      return json === null ? null : parse(json);
    },
  };
}

/** `<seq>:<version>:<senderId>:<0|1>`: what an edit needs to find and authorise, in about 60 bytes. */
function encodeRecord(m: Message): string {
  return `${m.seq}:${m.version}:${m.senderId}:${m.deletedAt === undefined ? 0 : 1}`;
}

function decodeRecord(value: string): MessageRecord {
  const [seq, version, senderId, deleted] = value.split(':');
  return { seq: Number(seq), version: Number(version), senderId: senderId ?? '', deleted: deleted === '1' };
}
