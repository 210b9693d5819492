import { onlineUserIds, sharedKeys, type PresenceEvent } from '@chat/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userRoom } from '../src/socket/user-room.js';
import {
  connect,
  connected,
  join,
  newUserId,
  startChatNode,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
} from './helpers.js';

const TTL_SEC = 3;
const GRACE_MS = 600;
const SWEEP_MS = 150;
const env = {
  PRESENCE_TTL_SEC: String(TTL_SEC),
  PRESENCE_OFFLINE_GRACE_MS: String(GRACE_MS),
  PRESENCE_SWEEP_INTERVAL_MS: String(SWEEP_MS),
};
const cluster = useChatCluster('chat-presence', { nodes: 2, env: () => env });
let redis: Redis;
beforeAll(() => {
  redis = new Redis(cluster.iso().redisUrl);
});
afterAll(() => redis?.disconnect());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let rooms = 0;
const newRoom = () => `presence-${rooms++}-${Date.now().toString(36)}`;

/** A socket of `user` on `url`, recording the presence events it receives. */
async function device(user: ReturnType<typeof userFor>, url: string) {
  const socket = await connected(connect(url, tokenFor(user)));
  const events: PresenceEvent[] = [];
  socket.on('presence', (e) => events.push(e));
  return { socket, events };
}

/** A watcher in `room` on node `node` that has seen its own online event (everything before it is in). */
async function watcher(room: string, node = 1) {
  const w = await device(userFor(), cluster.url(node));
  await join(w.socket, room);
  await waitFor(() => w.events.length > 0, 5000, 'watcher online');
  w.events.length = 0;
  return w;
}

const markers = new Set<string>();
const withoutMarkers = (events: PresenceEvent[]) => events.filter((e) => !markers.has(e.userId));

/**
 * A marker user joins `room` on node `node` and is announced: an announcement `node` made
 * before it has reached `w` by then (one node, one adapter channel, in order).
 */
async function flush(w: { events: PresenceEvent[] }, room: string, node: number) {
  const marker = userFor();
  markers.add(marker.userId);
  const m = await connected(connect(cluster.url(node), tokenFor(marker)));
  await join(m, room);
  await waitFor(() => w.events.some((e) => e.userId === marker.userId), 5000, 'marker announced');
  const seen = withoutMarkers(w.events);
  m.disconnect();
  return seen;
}

const presenceOf = (roomId: string, user: ReturnType<typeof userFor>, online: boolean): PresenceEvent => ({
  roomId,
  userId: user.userId,
  displayName: user.displayName,
  online,
});

async function rawSet(room: string): Promise<[string, number][]> {
  const flat = await redis.zrange(sharedKeys(cluster.iso().redisPrefix).roomPresence(room), 0, -1, 'WITHSCORES');
  const out: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
  return out;
}

describe('presence across nodes', () => {
  it("announces a user's first socket in a room, on any node, once; a second socket of theirs does not re-announce", async () => {
    const room = newRoom();
    const w = await watcher(room, 1);
    const ada = userFor(newUserId(), 'Ada');
    const a0 = await device(ada, cluster.url(0));
    await join(a0.socket, room);
    await waitFor(() => w.events.length === 1, 5000, 'online across nodes');
    expect(w.events).toEqual([presenceOf(room, ada, true)]);
    const a1 = await device(ada, cluster.url(1));
    await join(a1.socket, room);
    await join(a1.socket, room);
    expect(await flush(w, room, 1)).toEqual([presenceOf(room, ada, true)]);
    // The room set, as message-service reads it: one entry per socket, alive.
    const entries = await rawSet(room);
    expect(
      entries
        .map(([m]) => m)
        .filter((m) => m.startsWith(ada.userId))
        .sort(),
    ).toEqual([`${ada.userId}:${a0.socket.id}`, `${ada.userId}:${a1.socket.id}`].sort());
    expect(onlineUserIds(entries, Date.now()).has(ada.userId)).toBe(true);
  });

  it('a socket closing while another of the user stays announces nothing; the last one gone announces offline on every node', async () => {
    const room = newRoom();
    const w0 = await watcher(room, 0);
    const w1 = await watcher(room, 1);
    const ada = userFor(newUserId(), 'Ada');
    const a0 = await device(ada, cluster.url(0));
    const a1 = await device(ada, cluster.url(1));
    await join(a0.socket, room);
    await join(a1.socket, room);
    a0.socket.disconnect();
    await sleep(GRACE_MS + SWEEP_MS * 3);
    expect(await flush(w1, room, 0)).toEqual([presenceOf(room, ada, true)]);
    expect((await rawSet(room)).map(([m]) => m)).not.toContain(`${ada.userId}:${a0.socket.id}`);

    w0.events.length = 0;
    w1.events.length = 0;
    const closedAt = Date.now();
    a1.socket.disconnect();
    const offline = (events: PresenceEvent[]) => withoutMarkers(events).length > 0;
    await waitFor(() => offline(w0.events) && offline(w1.events), 5000, 'offline on both nodes');
    // Not before the grace period: a reconnect within it would have kept the user online.
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(withoutMarkers(w0.events)).toEqual([presenceOf(room, ada, false)]);
    expect(withoutMarkers(w1.events)).toEqual([presenceOf(room, ada, false)]);
    expect(onlineUserIds(await rawSet(room), Date.now()).has(ada.userId)).toBe(false);
  });

  it('leaving the room announces offline at once; joining again announces online', async () => {
    const room = newRoom();
    const w = await watcher(room, 0);
    const ada = userFor();
    const a = await device(ada, cluster.url(1));
    await join(a.socket, room);
    expect(await a.socket.timeout(5000).emitWithAck('leaveRoom', { roomId: room })).toEqual({ ok: true });
    await waitFor(() => w.events.length === 2, GRACE_MS, 'offline before any grace');
    await join(a.socket, room);
    await waitFor(() => w.events.length === 3, 5000, 'online again');
    expect(w.events).toEqual([presenceOf(room, ada, true), presenceOf(room, ada, false), presenceOf(room, ada, true)]);
  });

  it("another node's socketsJoin / socketsLeave (a join or leave on another device) counts like the socket's own", async () => {
    const room = newRoom();
    const w = await watcher(room, 1);
    const ada = userFor();
    await device(ada, cluster.url(0));
    const io = cluster.nodes()[1]!.app.io;
    io.in(userRoom(ada.userId)).socketsJoin(room);
    await waitFor(() => w.events.length === 1, 5000, 'online through socketsJoin');
    io.in(userRoom(ada.userId)).socketsLeave(room);
    await waitFor(() => w.events.length === 2, GRACE_MS, 'offline through socketsLeave, at once');
    expect(w.events).toEqual([presenceOf(room, ada, true), presenceOf(room, ada, false)]);
  });

  it("a new socket subscribed to its user's rooms at the handshake counts from its connection, unannounced", async () => {
    const room = newRoom();
    const w = await watcher(room, 0);
    const ada = userFor();
    const first = await device(ada, cluster.url(0));
    await join(first.socket, room);
    const second = await device(ada, cluster.url(1));
    // At once, not only from the next heartbeat (TTL/3), which would add it too.
    await waitFor(
      async () => (await rawSet(room)).some(([m]) => m === `${ada.userId}:${second.socket.id}`),
      300,
      'the second socket counted',
    );
    first.socket.disconnect();
    await sleep(GRACE_MS + SWEEP_MS * 3);
    expect(await flush(w, room, 1)).toEqual([presenceOf(room, ada, true)]);
  });

  it('a user moving to a new socket (another node) within the grace period never flaps offline/online', async () => {
    const room = newRoom();
    const w = await watcher(room, 0);
    const ada = userFor();
    const old = await device(ada, cluster.url(0));
    await join(old.socket, room);
    await waitFor(() => w.events.length === 1, 5000, 'online');
    old.socket.disconnect();
    const moved = await device(ada, cluster.url(1));
    await join(moved.socket, room);
    await sleep(GRACE_MS + SWEEP_MS * 3);
    expect(await flush(w, room, 0)).toEqual([presenceOf(room, ada, true)]);
    expect(await flush(w, room, 1)).toEqual([presenceOf(room, ada, true)]);
  });

  it('heartbeats keep a connected user online past the TTL', async () => {
    const room = newRoom();
    const w = await watcher(room, 0);
    const ada = userFor();
    const a = await device(ada, cluster.url(1));
    await join(a.socket, room);
    const firstScore = (await rawSet(room)).find(([m]) => m.startsWith(ada.userId))![1];
    await sleep(TTL_SEC * 1000 + 1000);
    const entries = await rawSet(room);
    expect(onlineUserIds(entries, Date.now()).has(ada.userId)).toBe(true);
    expect(entries.find(([m]) => m.startsWith(ada.userId))![1]).toBeGreaterThan(firstScore);
    expect(await flush(w, room, 1)).toEqual([presenceOf(room, ada, true)]);
  });

  it('a draining node does not make its users flap: they reconnect elsewhere unannounced; one who does not come back goes offline after the grace', async () => {
    const room = newRoom();
    const w = await watcher(room, 0);
    const draining = await startChatNode(cluster.iso(), { env });
    try {
      const [ada, bob] = [userFor(), userFor()];
      const a = await device(ada, draining.url);
      const b = await device(bob, draining.url);
      await join(a.socket, room);
      await join(b.socket, room);
      await waitFor(() => w.events.length === 2, 5000, 'both online');
      // Ada reconnects to node 0 as soon as the drain closes her transport (a client with reconnection does).
      const reconnected = new Promise<void>((resolve) => {
        a.socket.once('disconnect', () => {
          void (async () => {
            const again = await device(ada, cluster.url(0));
            await join(again.socket, room);
            resolve();
          })();
        });
      });
      const drainedAt = Date.now();
      await draining.close();
      await reconnected;
      await waitFor(() => w.events.length === 3, 5000, 'bob offline');
      expect(Date.now() - drainedAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
      await sleep(SWEEP_MS * 3);
      expect(await flush(w, room, 0)).toEqual([
        presenceOf(room, ada, true),
        presenceOf(room, bob, true),
        presenceOf(room, bob, false),
      ]);
      const online = onlineUserIds(await rawSet(room), Date.now());
      expect([online.has(ada.userId), online.has(bob.userId)]).toEqual([true, false]);
    } finally {
      await draining.close();
    }
  });
});
