import { onlineUserIds, sharedKeys } from '@chat/contracts';
import type { Redis } from 'ioredis';
import type { ChatKeys } from './keys.js';
import type { Presence, PresenceEntry, PresenceTiming, PresenceUser } from './presence.js';
import { redisUnavailable } from './redis-errors.js';

/*
 * Per room: the shared set `presence:<room>` (members `<userId>:<connectionId>` scored by the
 * unix ms until which each counts; message-service reads it), a hash `presence-users:<room>`
 * (userId → `<connections>:<displayName>`: first/last decided without scanning the set, the
 * name kept for a sweep's announcement) and the room in `presence-rooms`, scored no later than
 * its earliest expiry so a sweep visits only rooms with something due. Redis' clock throughout.
 */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Counts one connection fewer for the user; answers their display name when it was the last. */
const RELEASE = `
local function release(users, userId)
  local held = redis.call('HGET', users, userId)
  if not held then return false end
  local count, name = string.match(held, '^(%d+):(.*)$')
  count = tonumber(count)
  if count <= 1 then
    redis.call('HDEL', users, userId)
    return name
  end
  redis.call('HSET', users, userId, (count - 1) .. ':' .. name)
  return false
end
`;

/** Re-scores the room in the index by its earliest expiry, or drops it when empty. */
const RESCORE = `
local function rescore(set, users, rooms, roomId)
  local first = redis.call('ZRANGE', set, 0, 0, 'WITHSCORES')
  if first[2] then
    redis.call('ZADD', rooms, first[2], roomId)
  else
    redis.call('ZREM', rooms, roomId)
    redis.call('DEL', users)
  end
end
`;

/** KEYS: set, users, rooms. ARGV: roomId, member, userId, displayName, ttlMs, keyTtlMs. 1 if the user's first. */
const JOIN_LUA = `${NOW}
local expires = now + tonumber(ARGV[5])
local first = 0
if redis.call('ZADD', KEYS[1], expires, ARGV[2]) == 1 then
  local held = redis.call('HGET', KEYS[2], ARGV[3])
  local count = held and tonumber(string.match(held, '^(%d+):')) or 0
  redis.call('HSET', KEYS[2], ARGV[3], (count + 1) .. ':' .. ARGV[4])
  if count == 0 then first = 1 end
end
redis.call('ZADD', KEYS[3], 'LT', expires, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return first
`;

/** KEYS: set, users. ARGV: member, userId. 1 if it was the user's last connection. */
const LEAVE_LUA = `${RELEASE}
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if release(KEYS[2], ARGV[2]) then return 1 end
return 0
`;

/** KEYS: set, rooms. ARGV: roomId, graceMs, member. Counts no longer than the grace from now. */
const LINGER_LUA = `${NOW}
local expires = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', 'LT', expires, ARGV[3])
redis.call('ZADD', KEYS[2], 'LT', expires, ARGV[1])
return 0
`;

/** KEYS: set, users, rooms. ARGV: roomId, ttlMs, keyTtlMs, members... Answers the members not held. */
const REFRESH_LUA = `${NOW}${RESCORE}
local expires = now + tonumber(ARGV[2])
local missing = {}
for i = 4, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], expires, ARGV[i])
  else
    missing[#missing + 1] = ARGV[i]
  end
end
rescore(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return missing
`;

/** KEYS: rooms. ARGV: limit. The rooms with something expired by now. */
const DUE_LUA = `${NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
`;

/**
 * KEYS: set, users, rooms. ARGV: roomId, limit. Removes up to `limit` expired connections;
 * answers {userId, name, userId, name...} of the users left with none. Atomic, so
 * concurrent sweeps on several nodes find each departure once.
 */
const SWEEP_LUA = `${NOW}${RELEASE}${RESCORE}
local limit = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
local out = {}
for _, member in ipairs(expired) do
  redis.call('ZREM', KEYS[1], member)
  local userId = string.sub(member, 1, string.find(member, ':', 1, true) - 1)
  local name = release(KEYS[2], userId)
  if name then
    out[#out + 1] = userId
    out[#out + 1] = name
  end
end
rescore(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
return out
`;

/** Rooms and connections handled per script call, so no sweep blocks Redis for long. */
const SWEEP_BATCH = 500;
/** Bounds one sweep; what is left waits for the next. */
const MAX_SWEEP_ROUNDS = 100;

interface PresenceCommands {
  chatPresenceJoin(...args: (string | number)[]): Promise<number>;
  chatPresenceLeave(...args: string[]): Promise<number>;
  chatPresenceLinger(...args: (string | number)[]): Promise<number>;
  chatPresenceRefresh(...args: (string | number)[]): Promise<string[]>;
  chatPresenceDue(key: string, limit: number): Promise<string[]>;
  chatPresenceSweep(...args: (string | number)[]): Promise<string[]>;
}

export interface RedisPresenceDeps extends PresenceTiming {
  redis: Redis;
  keys: ChatKeys;
  prefix: string;
}

/** {@link Presence} in Redis, shared by every node; the set format is fixed by contracts' shared-keys. */
export function createRedisPresence(deps: RedisPresenceDeps): Presence {
  const { redis, keys, ttlMs, graceMs } = deps;
  const shared = sharedKeys(deps.prefix);
  redis.defineCommand('chatPresenceJoin', { numberOfKeys: 3, lua: JOIN_LUA });
  redis.defineCommand('chatPresenceLeave', { numberOfKeys: 2, lua: LEAVE_LUA });
  redis.defineCommand('chatPresenceLinger', { numberOfKeys: 2, lua: LINGER_LUA });
  redis.defineCommand('chatPresenceRefresh', { numberOfKeys: 3, lua: REFRESH_LUA });
  redis.defineCommand('chatPresenceDue', { numberOfKeys: 1, lua: DUE_LUA });
  redis.defineCommand('chatPresenceSweep', { numberOfKeys: 3, lua: SWEEP_LUA });
  const commands = redis as unknown as PresenceCommands;
  // Outlives every expiry the set can hold, so a set nobody touches any more cleans itself up.
  const keyTtlMs = 2 * (ttlMs + graceMs);
  const member = (e: PresenceEntry) => `${e.userId}:${e.connectionId}`;
  const roomKeys = (roomId: string) => [shared.roomPresence(roomId), keys.roomPresenceUsers(roomId)];

  async function sweepRoom(roomId: string): Promise<PresenceUser[]> {
    const flat = await commands.chatPresenceSweep(...roomKeys(roomId), keys.presenceRooms, roomId, SWEEP_BATCH);
    const users: PresenceUser[] = [];
    for (let i = 0; i < flat.length; i += 2) users.push({ userId: flat[i]!, displayName: flat[i + 1]! });
    return users;
  }

  return {
    async join(roomId, entry) {
      const first = await commands
        .chatPresenceJoin(
          ...roomKeys(roomId),
          keys.presenceRooms,
          roomId,
          member(entry),
          entry.userId,
          entry.displayName,
          ttlMs,
          keyTtlMs,
        )
        .catch(redisUnavailable);
      return first === 1;
    },

    async leave(roomId, entry) {
      const last = await commands
        .chatPresenceLeave(...roomKeys(roomId), member(entry), entry.userId)
        .catch(redisUnavailable);
      return last === 1;
    },

    async linger(roomId, entry) {
      await commands
        .chatPresenceLinger(shared.roomPresence(roomId), keys.presenceRooms, roomId, graceMs, member(entry))
        .catch(redisUnavailable);
    },

    async refresh(roomId, entries) {
      if (entries.length === 0) return [];
      const byMember = new Map(entries.map((e) => [member(e), e]));
      const missing = await commands
        .chatPresenceRefresh(...roomKeys(roomId), keys.presenceRooms, roomId, ttlMs, keyTtlMs, ...byMember.keys())
        .catch(redisUnavailable);
      return missing.map((m) => byMember.get(m)!);
    },

    async sweep() {
      const gone = new Map<string, PresenceUser[]>();
      // Rounds until nothing is due: a room with more expired than one batch stays due.
      for (let round = 0; round < MAX_SWEEP_ROUNDS; round++) {
        const due = await commands.chatPresenceDue(keys.presenceRooms, SWEEP_BATCH);
        if (due.length === 0) break;
        for (const roomId of due) {
          const users = await sweepRoom(roomId);
          if (users.length > 0) gone.set(roomId, [...(gone.get(roomId) ?? []), ...users]);
        }
      }
      return [...gone].map(([roomId, users]) => ({ roomId, users }));
    },

    async online(roomId) {
      const flat = await redis.zrange(shared.roomPresence(roomId), 0, -1, 'WITHSCORES');
      const entries: [string, number][] = [];
      for (let i = 0; i < flat.length; i += 2) entries.push([flat[i]!, Number(flat[i + 1])]);
      const [sec, micro] = await redis.time();
      return onlineUserIds(entries, Number(sec) * 1000 + Math.floor(Number(micro) / 1000));
    },
  };
}
