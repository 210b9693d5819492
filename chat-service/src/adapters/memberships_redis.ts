import type { Redis } from 'ioredis';
import type { ChatKeys } from './keys.js';
import type { JoinOutcome, MemberRooms, MembershipStore, ReadAdvance } from './memberships.js';
import { redisUnavailable } from './redis-errors.js';

// Seqs reach 2^53 and Lua's tostring keeps 14 digits: scripts compare with tonumber but only
// ever store the caller's own string.

/** KEYS: rooms, markers. ARGV: roomId, max. Returns {1 added | 0 member | -1 full, marker}. */
const JOIN_LUA = `
local marker = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return {0, marker} end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return {-1, marker} end
redis.call('SADD', KEYS[1], ARGV[1])
return {1, marker}
`;

/** KEYS: rooms, markers. ARGV: roomId, seq. Returns {-1 not a member | 0 unchanged | 1 moved, marker before}. */
const ADVANCE_LUA = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return {-1, '0'} end
local current = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
if tonumber(ARGV[2]) <= tonumber(current) then return {0, current} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {1, current}
`;

/** KEYS: markers. ARGV: roomId, seq, previous. */
const REVERT_LUA = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] == '0' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
`;

/** KEYS: rooms, markers, loaded. ARGV: roomId, seq, roomId, seq, ... */
const RESTORE_LUA = `
for i = 1, #ARGV, 2 do
  redis.call('SADD', KEYS[1], ARGV[i])
  if tonumber(ARGV[i + 1]) > tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '0') then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  end
end
redis.call('SET', KEYS[3], '1')
return 1
`;

interface MembershipCommands {
  chatMemberJoin(rooms: string, markers: string, roomId: string, max: number): Promise<[number, string]>;
  chatReadAdvance(rooms: string, markers: string, roomId: string, seq: string): Promise<[number, string]>;
  chatReadRevert(markers: string, roomId: string, seq: string, previous: string): Promise<number>;
  chatMembersRestore(rooms: string, markers: string, loaded: string, ...pairs: string[]): Promise<number>;
}

const JOIN_OUTCOMES: Record<number, JoinOutcome> = { 1: 'added', 0: 'member', [-1]: 'full' };

export function createRedisMembershipStore(redis: Redis, keys: ChatKeys): MembershipStore {
  redis.defineCommand('chatMemberJoin', { numberOfKeys: 2, lua: JOIN_LUA });
  redis.defineCommand('chatReadAdvance', { numberOfKeys: 2, lua: ADVANCE_LUA });
  redis.defineCommand('chatReadRevert', { numberOfKeys: 1, lua: REVERT_LUA });
  redis.defineCommand('chatMembersRestore', { numberOfKeys: 3, lua: RESTORE_LUA });
  const commands = redis as unknown as MembershipCommands;

  return {
    async join(userId, roomId, max) {
      const [code, marker] = await commands
        .chatMemberJoin(keys.userRooms(userId), keys.readMarkers(userId), roomId, max)
        .catch(redisUnavailable);
      return { outcome: JOIN_OUTCOMES[code]!, lastReadSeq: Number(marker) };
    },

    async add(userId, roomId) {
      return (await redis.sadd(keys.userRooms(userId), roomId).catch(redisUnavailable)) === 1;
    },

    async addBoth(roomId, [a, b]) {
      const replies = await redis
        .pipeline()
        .sadd(keys.userRooms(a), roomId)
        .sadd(keys.userRooms(b), roomId)
        .exec()
        .catch(redisUnavailable);
      const added = (i: number): boolean => {
        const [err, n] = replies![i]!;
        if (err) redisUnavailable(err);
        return n === 1;
      };
      return [added(0), added(1)];
    },

    async remove(userId, roomId) {
      return (await redis.srem(keys.userRooms(userId), roomId).catch(redisUnavailable)) === 1;
    },

    async rooms(userId, max): Promise<MemberRooms> {
      const replies = await redis
        .pipeline()
        .exists(keys.userRoomsLoaded(userId))
        // A positive count answers distinct members, the whole set when it is smaller.
        .srandmember(keys.userRooms(userId), max)
        .exec()
        .catch(redisUnavailable);
      const [[loadedErr, loaded], [roomsErr, rooms]] = replies as [[Error | null, number], [Error | null, string[]]];
      if (loadedErr ?? roomsErr) redisUnavailable(loadedErr ?? roomsErr);
      return { rooms, complete: loaded === 1 };
    },

    async restore(userId, rooms) {
      const pairs = rooms.flatMap(({ roomId, lastReadSeq }) => [roomId, String(lastReadSeq)]);
      await commands
        .chatMembersRestore(keys.userRooms(userId), keys.readMarkers(userId), keys.userRoomsLoaded(userId), ...pairs)
        .catch(redisUnavailable);
    },

    async advanceRead(userId, roomId, seq): Promise<ReadAdvance> {
      const [code, before] = await commands
        .chatReadAdvance(keys.userRooms(userId), keys.readMarkers(userId), roomId, String(seq))
        .catch(redisUnavailable);
      if (code === -1) return { kind: 'not-member' };
      if (code === 0) return { kind: 'unchanged', seq: Number(before) };
      return { kind: 'moved', seq, previous: Number(before) };
    },

    async revertRead(userId, roomId, seq, previous) {
      await commands
        .chatReadRevert(keys.readMarkers(userId), roomId, String(seq), String(previous))
        .catch(redisUnavailable);
    },
  };
}
