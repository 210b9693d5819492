import { createLogger } from '@chat/service-kit';
import { useIsolation } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionKeys } from '../src/adapters/connection-keys.js';
import type { ChatServer } from '../src/socket/socket-types.js';
import { SOCKET_LEASE_MS, UserSockets } from '../src/adapters/user-sockets.js';
import { newUserId } from './helpers.js';

const iso = useIsolation('chat-user-sockets');
let redis: Redis;
/** This "node's" connected sockets, as the renewal reads them from Socket.IO. */
const local = new Map<string, { id: string; data: { user: { userId: string } } }>();
const io = { of: () => ({ sockets: local }) } as unknown as ChatServer;
let sockets: UserSockets;
const keys = () => connectionKeys(iso().redisPrefix);

beforeAll(() => {
  redis = new Redis(iso().redisUrl);
  sockets = new UserSockets(redis, keys(), io, 20, createLogger('test', 'silent'));
});
afterAll(() => {
  sockets?.close();
  redis?.disconnect();
});

describe('sockets per user in Redis (leases)', () => {
  it('admits 20 sockets of a user, refuses the 21st with the seconds until a lease could lapse, admits again once one leaves', async () => {
    const userId = newUserId();
    for (let i = 0; i < 20; i++) expect(await sockets.claim(userId, `s${i}`)).toBe(0);
    const retryAfterSec = await sockets.claim(userId, 's20');
    expect(retryAfterSec).toBeGreaterThanOrEqual(1);
    expect(retryAfterSec).toBeLessThanOrEqual(SOCKET_LEASE_MS / 1000);
    // A socket already counted (a retried handshake) is not refused.
    expect(await sockets.claim(userId, 's5')).toBe(0);
    expect(await sockets.claim(newUserId(), 'other-user')).toBe(0);

    sockets.release(userId, 's0');
    await expect.poll(() => sockets.claim(userId, 's20')).toBe(0);
  });

  it("drops a crashed node's sockets once their leases lapse", async () => {
    const userId = newUserId();
    for (let i = 0; i < 20; i++) await sockets.claim(userId, `s${i}`);
    // The node holding s0-s4 died: nobody renews them, and their leases run out.
    const key = keys().userSockets(userId);
    for (let i = 0; i < 5; i++) await redis.zadd(key, 'XX', Date.now() - 1, `s${i}`);
    for (let i = 20; i < 25; i++) expect(await sockets.claim(userId, `s${i}`)).toBe(0);
    expect(await sockets.claim(userId, 's25')).toBeGreaterThan(0);
  });

  it("renews this node's sockets, and re-adds them after Redis lost the set", async () => {
    const userId = newUserId();
    const key = keys().userSockets(userId);
    for (const id of ['a', 'b']) {
      local.set(id, { id, data: { user: { userId } } });
      await sockets.claim(userId, id);
    }
    await redis.del(key);
    await sockets.renew();
    expect((await redis.zrange(key, 0, -1)).sort()).toEqual(['a', 'b']);
    const [, score] = await redis.zrange(key, 0, 0, 'WITHSCORES');
    const [seconds] = await redis.time();
    expect(Number(score) - Number(seconds) * 1000).toBeGreaterThan(SOCKET_LEASE_MS - 5000);
    expect(await redis.pttl(key)).toBeGreaterThan(SOCKET_LEASE_MS - 5000);
    local.clear();
  });
});
