import { onlineUserIds, sharedKeys } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatKeys } from '../src/adapters/keys.js';
import type { Presence, PresenceEntry, PresenceTiming } from '../src/adapters/presence.js';
import { createMemoryPresence } from './support/presence_memory.js';
import { createRedisPresence } from '../src/adapters/presence_redis.js';
import { newUserId } from './helpers.js';

const iso = useIsolation('chat-presence-store');
const TIMING: PresenceTiming = { ttlMs: 1500, graceMs: 300 };
let redis: Redis;
let other: Redis;
beforeAll(() => {
  redis = new Redis(iso().redisUrl);
  other = new Redis(iso().redisUrl);
});
afterAll(() => {
  redis?.disconnect();
  other?.disconnect();
});

const redisPresence = (client: () => Redis) => () =>
  createRedisPresence({ redis: client(), keys: chatKeys(iso().redisPrefix), prefix: iso().redisPrefix, ...TIMING });

/** Each backend with two "nodes": two Redis clients on the same keys, or one shared memory. */
const backends: [string, () => [Presence, Presence]][] = [
  ['redis', () => [redisPresence(() => redis)(), redisPresence(() => other)()]],
  [
    'memory',
    () => {
      const shared = createMemoryPresence(TIMING);
      return [shared, shared];
    },
  ],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let rooms = 0;
const newRoom = () => `presence-${rooms++}-${Date.now().toString(36)}`;
const entry = (userId: string, connectionId: string, displayName = `name of ${userId.slice(0, 4)}`): PresenceEntry => ({
  userId,
  connectionId,
  displayName,
});

describe.each(backends)('Presence (%s)', (_name, make) => {
  let a: Presence;
  let b: Presence;
  beforeAll(() => {
    [a, b] = make();
  });

  it("a user's first connection joins them, their last leaving ends them; the others change nothing", async () => {
    const room = newRoom();
    const ada = newUserId();
    expect(await a.join(room, entry(ada, 'c1'))).toBe(true);
    expect(await b.join(room, entry(ada, 'c2'))).toBe(false);
    expect(await a.join(room, entry(ada, 'c1'))).toBe(false);
    expect(await a.online(room)).toEqual(new Set([ada]));
    expect(await a.leave(room, entry(ada, 'c1'))).toBe(false);
    expect(await a.leave(room, entry(ada, 'c1'))).toBe(false);
    expect(await b.online(room)).toEqual(new Set([ada]));
    expect(await b.leave(room, entry(ada, 'c2'))).toBe(true);
    expect(await a.online(room)).toEqual(new Set());
    expect(await a.join(room, entry(ada, 'c3'))).toBe(true);
  });

  it('of concurrent first joins on two nodes exactly one is first; of concurrent last leaves exactly one is last', async () => {
    const room = newRoom();
    const ada = newUserId();
    const joins = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).join(room, entry(ada, `c${i}`))),
    );
    expect(joins.filter(Boolean)).toHaveLength(1);
    const leaves = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).leave(room, entry(ada, `c${i}`))),
    );
    expect(leaves.filter(Boolean)).toHaveLength(1);
  });

  it('a closed connection counts for the grace period, then one sweep announces the user gone, with their name', async () => {
    const room = newRoom();
    const ada = newUserId();
    await a.join(room, entry(ada, 'c1', 'Ada'));
    await a.linger(room, entry(ada, 'c1', 'Ada'));
    expect(await a.online(room)).toEqual(new Set([ada]));
    expect(departuresIn(await a.sweep(), room)).toEqual([]);
    await sleep(TIMING.graceMs + 50);
    expect(await a.online(room)).toEqual(new Set());
    const [first, second] = await Promise.all([a.sweep(), b.sweep()]);
    expect([...departuresIn(first, room), ...departuresIn(second, room)]).toEqual([
      { userId: ada, displayName: 'Ada' },
    ]);
    expect(departuresIn(await a.sweep(), room)).toEqual([]);
  });

  it('a user who reconnects within the grace period is never announced gone', async () => {
    const room = newRoom();
    const ada = newUserId();
    await a.join(room, entry(ada, 'old'));
    await a.linger(room, entry(ada, 'old'));
    expect(await b.join(room, entry(ada, 'new'))).toBe(false);
    await sleep(TIMING.graceMs + 50);
    expect(departuresIn(await b.sweep(), room)).toEqual([]);
    expect(await a.online(room)).toEqual(new Set([ada]));
    expect(await b.leave(room, entry(ada, 'new'))).toBe(true);
  });

  it('without heartbeats a connection expires after the TTL (a dead node); heartbeats keep it; a lost one is answered', async () => {
    const room = newRoom();
    const [ada, bob] = [newUserId(), newUserId()];
    await a.join(room, entry(ada, 'a1', 'Ada'));
    await b.join(room, entry(bob, 'b1', 'Bob'));
    const gone = [];
    for (let t = 0; t < TIMING.ttlMs + 300; t += TIMING.ttlMs / 3) {
      expect(await b.refresh(room, [entry(bob, 'b1', 'Bob')])).toEqual([]);
      gone.push(...departuresIn(await (t % 2 ? a : b).sweep(), room));
      await sleep(TIMING.ttlMs / 3);
    }
    gone.push(...departuresIn(await b.sweep(), room));
    expect(gone).toEqual([{ userId: ada, displayName: 'Ada' }]);
    expect(await a.online(room)).toEqual(new Set([bob]));
    // Node a comes back from a stall longer than the TTL: its connection was swept; the heartbeat says so.
    expect(await a.refresh(room, [entry(ada, 'a1', 'Ada')])).toEqual([entry(ada, 'a1', 'Ada')]);
  });
});

function departuresIn(departures: Awaited<ReturnType<Presence['sweep']>>, roomId: string) {
  return departures.filter((d) => d.roomId === roomId).flatMap((d) => d.users);
}

describe('Presence in Redis: the shared format and proportional work', () => {
  it('the room set holds `<userId>:<connectionId>` scored by the ms until which it counts (what message-service reads)', async () => {
    const presence = redisPresence(() => redis)();
    const room = `dm:${[newUserId(), newUserId()].sort().join(':')}`;
    const ada = newUserId();
    const before = Date.now();
    await presence.join(room, entry(ada, 'sock-1'));
    await presence.join(room, entry(ada, 'sock-2'));
    const raw = await redis.zrange(sharedKeys(iso().redisPrefix).roomPresence(room), 0, -1, 'WITHSCORES');
    expect([raw[0], raw[2]].sort()).toEqual([`${ada}:sock-1`, `${ada}:sock-2`]);
    const score = Number(raw[1]);
    expect(score).toBeGreaterThanOrEqual(before + TIMING.ttlMs - 1000);
    expect(score).toBeLessThanOrEqual(Date.now() + TIMING.ttlMs + 1000);
    const entries: [string, number][] = [
      [raw[0]!, Number(raw[1])],
      [raw[2]!, Number(raw[3])],
    ];
    expect(onlineUserIds(entries, Date.now())).toEqual(new Set([ada]));
    expect(onlineUserIds(entries, Math.max(...entries.map(([, s]) => s)))).toEqual(new Set());
  });

  it('a sweep visits only rooms with something due, and leaves no keys behind once a room is empty', async () => {
    const presence = redisPresence(() => redis)();
    const keys = chatKeys(iso().redisPrefix);
    const room = newRoom();
    const ada = newUserId();
    await presence.join(room, entry(ada, 'c1'));
    const score = await redis.zscore(keys.presenceRooms, room);
    expect(Number(score)).toBeGreaterThan(Date.now());
    await presence.linger(room, entry(ada, 'c1'));
    expect(Number(await redis.zscore(keys.presenceRooms, room))).toBeLessThanOrEqual(Date.now() + TIMING.graceMs + 100);
    await sleep(TIMING.graceMs + 50);
    expect(departuresIn(await presence.sweep(), room)).toHaveLength(1);
    expect(await redis.zscore(keys.presenceRooms, room)).toBeNull();
    expect(await redis.exists(sharedKeys(iso().redisPrefix).roomPresence(room), keys.roomPresenceUsers(room))).toBe(0);
  });

  it('sweeps a dead node’s thousands of connections in one room in one pass', async () => {
    const presence = redisPresence(() => redis)();
    const room = newRoom();
    const users = Array.from({ length: 1200 }, () => newUserId());
    await Promise.all(users.map((u) => presence.join(room, entry(u, 'c'))));
    await Promise.all(users.map((u) => presence.linger(room, entry(u, 'c'))));
    await sleep(TIMING.graceMs + 50);
    expect(departuresIn(await presence.sweep(), room)).toHaveLength(1200);
  });
});
