import { onlineUserIds, type SharedKeys } from '@chat/contracts';
import type { Redis } from 'ioredis';
import { redisWithin } from './redis-timeout.js';

/**
 * Who is online in a room, from chat-service's presence set (contracts `roomPresence`):
 * members whose connection's alive-until score is still ahead. Only the live part of the set
 * is read. Throws when Redis does not answer within `timeoutMs`.
 */
export async function onlineInRoom(redis: Redis, keys: SharedKeys, roomId: string, timeoutMs: number) {
  const now = Date.now();
  const flat = await redisWithin(
    timeoutMs,
    redis.zrangebyscore(keys.roomPresence(roomId), `(${now}`, '+inf', 'WITHSCORES'),
  );
  const entries: [string, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push([flat[i]!, Number(flat[i + 1])]);
  return onlineUserIds(entries, now);
}
