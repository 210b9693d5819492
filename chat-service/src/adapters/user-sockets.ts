import type { Logger } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import type { ConnectionKeys } from './connection-keys.js';
import type { ChatServer } from '../socket/socket-types.js';

/** A socket's lease in its user's set; a node that dies stops renewing, so its sockets lapse. */
export const SOCKET_LEASE_MS = 60_000;
const RENEW_EVERY_MS = SOCKET_LEASE_MS / 3;

/**
 * Drop lapsed leases; refuse a new socket when the user has `max` live ones, answering the
 * seconds until the soonest lease would lapse; else add it. Redis time, so node clocks agree.
 * KEYS: the user's set. ARGV: socket id, lease ms, max. Returns -1 when added.
 */
const CLAIM_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local soonest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.ceil((tonumber(soonest[2]) - now) / 1000))
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return -1
`;

/** Renew the leases of this node's sockets of one user. KEYS: the set. ARGV: lease ms, socket ids... */
const RENEW_LUA = `
local t = redis.call('TIME')
local expires = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], expires, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
`;

interface UserSocketCommands {
  chatClaimSocket(key: string, socketId: string, leaseMs: number, max: number): Promise<number>;
  chatRenewSockets(key: string, leaseMs: number, ...socketIds: string[]): Promise<number>;
}

/**
 * Every user's open sockets across nodes, as leases in Redis (DESIGN.md §4.1 sockets per
 * user; presence can read the same sets). Each node renews its own sockets' leases; a socket
 * that closes leaves at once, one of a crashed node within SOCKET_LEASE_MS.
 */
export class UserSockets {
  private readonly redis: Redis & UserSocketCommands;
  private readonly renewTimer: NodeJS.Timeout;

  constructor(
    redis: Redis,
    private readonly keys: ConnectionKeys,
    private readonly io: ChatServer,
    private readonly max: number,
    private readonly log: Logger,
  ) {
    redis.defineCommand('chatClaimSocket', { numberOfKeys: 1, lua: CLAIM_LUA });
    redis.defineCommand('chatRenewSockets', { numberOfKeys: 1, lua: RENEW_LUA });
    this.redis = redis as Redis & UserSocketCommands;
    this.renewTimer = setInterval(() => void this.renew(), RENEW_EVERY_MS).unref();
  }

  /** Adds the socket to its user's set: 0, or the seconds to wait when the user has `max` already. */
  async claim(userId: string, socketId: string): Promise<number> {
    const retryAfterSec = await this.redis.chatClaimSocket(
      this.keys.userSockets(userId),
      socketId,
      SOCKET_LEASE_MS,
      this.max,
    );
    return Math.max(0, retryAfterSec);
  }

  release(userId: string, socketId: string): void {
    this.redis.zrem(this.keys.userSockets(userId), socketId).catch((err: Error) => {
      // The lease lapses by itself.
      this.log.debug({ err: err.message }, 'releasing a socket lease failed');
    });
  }

  /** Re-adds every local socket too: after Redis lost its data, or one admitted while it was down. */
  async renew(): Promise<void> {
    const byUser = new Map<string, string[]>();
    for (const socket of this.io.of('/').sockets.values()) {
      const userId = socket.data.user.userId;
      const ids = byUser.get(userId);
      if (ids) ids.push(socket.id);
      else byUser.set(userId, [socket.id]);
    }
    if (byUser.size === 0) return;
    const pipeline = this.redis.pipeline() as unknown as UserSocketCommands & {
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    for (const [userId, ids] of byUser) {
      void pipeline.chatRenewSockets(this.keys.userSockets(userId), SOCKET_LEASE_MS, ...ids);
    }
    const failed = await pipeline.exec().then(
      (results) => results?.find(([err]) => err)?.[0],
      (err: Error) => err,
    );
    if (failed) this.log.warn({ err: failed.message }, 'renewing socket leases failed');
  }

  close(): void {
    clearInterval(this.renewTimer);
  }
}
