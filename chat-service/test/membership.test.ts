import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  dmRoomId,
  type MarkReadAck,
  type MembershipEvent,
  type Message,
  type ReadMarkerEvent,
  type RoomSummary,
} from '@chat/contracts';
import type { Identity } from '@chat/service-kit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatKeys } from '../src/adapters/keys.js';
import {
  type ClientSocket,
  connect,
  connected,
  emitRaw,
  historyAt,
  join,
  newUserId,
  send,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
} from './helpers.js';

/**
 * Membership and read markers (DESIGN.md §3.3) on two real nodes, real Redis and RabbitMQ: what
 * reaches which socket, and what reaches the persist queue (a sink bound to the exchange).
 * message-service's room list (read only to repair a set Redis lost) is served by a small
 * HTTP server answering `GET /messages/rooms` in the contract's shape.
 */
const MEMBER_ROOMS_MAX = 8;
const MARK_READ_RATE_LIMIT = 15;
const DIRECT_OPEN_RATE_LIMIT = 3;

/** userId → the rooms `GET /messages/rooms` answers for their token; every answered request's user is recorded. */
const durableRooms = new Map<string, RoomSummary[]>();
const roomListRequests: string[] = [];
let roomList: Server;
beforeAll(async () => {
  roomList = createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    // The token's subject (the node verified the token at the handshake already).
    const userId = String(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}').sub);
    const rooms = durableRooms.get(userId);
    if (req.url !== '/messages/rooms' || rooms === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND"}}');
      return;
    }
    roomListRequests.push(userId);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ rooms }));
  });
  await new Promise<void>((resolve) => roomList.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => roomList.close(() => resolve())));

const cluster = useChatCluster('chat-members', {
  nodes: 2,
  history: () => historyAt(() => `http://127.0.0.1:${(roomList.address() as AddressInfo).port}`),
  env: () => ({
    MEMBER_ROOMS_MAX: String(MEMBER_ROOMS_MAX),
    MARK_READ_RATE_LIMIT: String(MARK_READ_RATE_LIMIT),
    MARK_READ_RATE_WINDOW_SEC: '120',
    DIRECT_OPEN_RATE_LIMIT: String(DIRECT_OPEN_RATE_LIMIT),
  }),
});
let redis: Redis;
beforeAll(() => {
  redis = new Redis(cluster.iso().redisUrl);
});
afterAll(() => redis.quit());
const keys = () => chatKeys(cluster.iso().redisPrefix);

const room = () => `room-${randomUUID().slice(0, 8)}`;

/** A connected socket of `user` on node `node`, recording what the server pushes to it. */
async function device(user: Identity, node: number) {
  const socket = await connected(connect(cluster.url(node), tokenFor(user)));
  const received: Message[] = [];
  const memberships: MembershipEvent[] = [];
  const markers: ReadMarkerEvent[] = [];
  socket.on('receiveMessage', (m) => received.push(m));
  socket.on('membership', (e) => memberships.push(e));
  socket.on('readMarker', (e) => markers.push(e));
  return { socket, received, memberships, markers };
}
type Device = Awaited<ReturnType<typeof device>>;

/**
 * Sends a marker message to `roomId` and waits until every one of `devices` has it: whatever
 * the same sender sent before through the same node arrived first, so "nothing else came" can
 * be asserted without sleeping.
 */
async function flush(from: ClientSocket, roomId: string, devices: Device[]) {
  const ack = await send(from, roomId, 'marker');
  if (!ack.ok) throw new Error(ack.error.message);
  await waitFor(() => devices.every((d) => d.received.some((m) => m.id === ack.message.id)), 5000, 'marker message');
  for (const d of devices)
    d.received.splice(
      d.received.findIndex((m) => m.id === ack.message.id),
      1,
    );
}

const markRead = (socket: ClientSocket, payload: unknown) =>
  emitRaw(socket, 'markRead', payload) as Promise<MarkReadAck>;
const membershipsOf = (userId: string, roomId: string) =>
  cluster
    .sink()
    .memberships.filter((m) => m.userId === userId && m.roomId === roomId)
    .map(({ member, displayName }) => ({ member, displayName }));

describe('joinRoom makes a member', () => {
  it('publishes the membership once, subscribes and tells the user’s other sockets on the other node', async () => {
    const ada = userFor(newUserId(), 'Ada');
    const roomId = room();
    const here = await device(ada, 0);
    const there = await device(ada, 1);
    const before = Date.now();
    const ack = await join(here.socket, roomId);
    expect(ack.room).toEqual({ id: roomId, lastSeq: 0, lastReadSeq: 0 });
    await waitFor(() => membershipsOf(ada.userId, roomId).length === 1, 5000, 'membership at the broker');
    const [published] = cluster.sink().memberships.filter((m) => m.userId === ada.userId);
    expect(published).toEqual({ roomId, userId: ada.userId, member: true, at: expect.any(Number), displayName: 'Ada' });
    expect(published!.at).toBeGreaterThanOrEqual(before);
    await waitFor(() => there.memberships.length === 1, 5000, 'membership on the other device');
    expect(there.memberships).toEqual([{ roomId, member: true }]);
    expect(here.memberships).toEqual([]);
    expect(await redis.sismember(keys().userRooms(ada.userId), roomId)).toBe(1);

    // The other device receives the room live without joining it.
    const bob = await device(userFor(), 0);
    await join(bob.socket, roomId);
    await flush(bob.socket, roomId, [here, there]);

    // Joining again (any device) changes nothing and publishes nothing.
    await join(there.socket, roomId);
    await join(here.socket, roomId);
    await flush(bob.socket, roomId, [here, there]);
    expect(membershipsOf(ada.userId, roomId)).toHaveLength(1);
  });

  it('refuses a room beyond MEMBER_ROOMS_MAX with INVALID, direct ones too; rooms already held still join, and a direct room someone else opens is still delivered', async () => {
    const user = userFor();
    const socket = await connected(connect(cluster.url(0), tokenFor(user)));
    const rooms = Array.from({ length: MEMBER_ROOMS_MAX }, room);
    for (const r of rooms) await join(socket, r);
    const over = await emitRaw(socket, 'joinRoom', { roomId: room() });
    expect(over).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect((await join(socket, rooms[0]!)).ok).toBe(true);
    expect(await redis.scard(keys().userRooms(user.userId))).toBe(MEMBER_ROOMS_MAX);
    // Made-up peers cannot grow the set past the cap either.
    expect(await emitRaw(socket, 'joinRoom', { roomId: dmRoomId(user.userId, newUserId()) })).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    const sender = userFor();
    const senderSocket = await connected(connect(cluster.url(1), tokenFor(sender)));
    expect((await send(senderSocket, dmRoomId(user.userId, sender.userId), 'hello')).ok).toBe(true);
    expect(await redis.scard(keys().userRooms(user.userId))).toBe(MEMBER_ROOMS_MAX + 1);
  });

  it('answers UNAVAILABLE when the broker cannot take the membership, and keeps no membership in Redis', async () => {
    const user = userFor();
    const socket = await connected(connect(cluster.url(0), tokenFor(user)));
    const roomId = room();
    await cluster.sink().unbind();
    try {
      expect(await emitRaw(socket, 'joinRoom', { roomId })).toMatchObject({
        ok: false,
        error: { code: 'UNAVAILABLE' },
      });
    } finally {
      await cluster.sink().rebind();
    }
    expect(await redis.sismember(keys().userRooms(user.userId), roomId)).toBe(0);
    expect((await join(socket, roomId)).ok).toBe(true);
    await waitFor(() => membershipsOf(user.userId, roomId).length === 1, 5000, 'membership after the retry');
  });
});

describe('leaveRoom ends the membership', () => {
  it('every socket of the user on both nodes stops receiving the room; member:false is published and told', async () => {
    const bea = userFor();
    const roomId = room();
    const stays = room();
    const a = await device(bea, 0);
    const b = await device(bea, 1);
    await join(a.socket, roomId);
    await join(a.socket, stays);
    const sender = await device(userFor(), 1);
    await join(sender.socket, roomId);
    await join(sender.socket, stays);
    await flush(sender.socket, roomId, [a, b]);

    expect(await emitRaw(b.socket, 'leaveRoom', { roomId })).toEqual({ ok: true });
    await waitFor(() => a.memberships.some((e) => !e.member), 5000, 'membership end on the other device');
    expect(a.memberships.at(-1)).toEqual({ roomId, member: false });
    expect((await send(sender.socket, roomId, 'after the leave')).ok).toBe(true);
    await flush(sender.socket, stays, [a, b]);
    expect([...a.received, ...b.received]).toEqual([]);
    await waitFor(() => membershipsOf(bea.userId, roomId).length === 2, 5000, 'member:false at the broker');
    expect(membershipsOf(bea.userId, roomId).map((m) => m.member)).toEqual([true, false]);
    expect(await redis.sismember(keys().userRooms(bea.userId), roomId)).toBe(0);

    // A new socket of the user is not subscribed to it either.
    const c = await device(bea, 0);
    await flush(sender.socket, stays, [c]);
    expect((await send(sender.socket, roomId, 'still gone')).ok).toBe(true);
    await flush(sender.socket, stays, [c]);
    expect(c.received).toEqual([]);
  });

  it('answers RATE_LIMITED to a flood of leaves (counted with joins) and the socket stays up', async () => {
    const socket = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const acks = await Promise.all(Array.from({ length: 40 }, () => emitRaw(socket, 'leaveRoom', { roomId: 'lobby' })));
    const codes = acks.map((a) => ((a as { ok: boolean }).ok ? 'ok' : (a as { error: { code: string } }).error.code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(30);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(10);
    expect(socket.connected).toBe(true);
  });
});

describe('a new socket', () => {
  it('receives live messages of every member room without joining them', async () => {
    const cyd = userFor();
    const rooms = [room(), room()];
    const first = await connected(connect(cluster.url(0), tokenFor(cyd)));
    for (const r of rooms) await join(first, r);
    first.disconnect();

    const second = await device(cyd, 1);
    const sender = await device(userFor(), 0);
    for (const r of rooms) {
      const ack = await send(sender.socket, r, `to ${r}`);
      if (!ack.ok) throw new Error(ack.error.message);
    }
    await waitFor(() => second.received.length === 2, 5000, 'both rooms live');
    expect(second.received.map((m) => m.roomId)).toEqual(rooms);
  });

  it('after Redis lost the user’s rooms, is subscribed to the durable ones (message-service’s room list) and gets their read markers back', async () => {
    const dee = userFor();
    const [kept, durable] = [room(), room()];
    const sender = await device(userFor(), 0);
    const sent = [];
    for (let i = 0; i < 3; i++) {
      const ack = await send(sender.socket, durable, `m${i}`);
      if (!ack.ok) throw new Error(ack.error.message);
      sent.push(ack.message);
    }
    durableRooms.set(dee.userId, [
      { roomId: durable, lastSeq: sent[2]!.seq, lastReadSeq: sent[1]!.seq, unread: 1, mentions: 0 },
    ]);
    const requests = () => roomListRequests.filter((id) => id === dee.userId).length;
    const first = await connected(connect(cluster.url(0), tokenFor(dee)));
    await join(first, kept);
    expect(requests()).toBe(1);
    first.disconnect();
    // Redis loses the user's state (a flush, a failover to an empty replica).
    await redis.del(keys().userRooms(dee.userId), keys().userRoomsLoaded(dee.userId), keys().readMarkers(dee.userId));

    const next = await device(dee, 1);
    expect(requests()).toBe(2);
    expect((await send(sender.socket, durable, 'live again')).ok).toBe(true);
    await waitFor(() => next.received.length === 1, 5000, 'the durable room live');
    const rejoined = await join(next.socket, durable);
    expect(rejoined.room.lastReadSeq).toBe(sent[1]!.seq);
    // A marker Redis holds ahead of the store (a markRead not yet stored) is not taken back by a repair.
    await redis.del(keys().userRooms(dee.userId), keys().userRoomsLoaded(dee.userId));
    await redis.hset(keys().readMarkers(dee.userId), durable, String(sent[2]!.seq));
    const again = await device(dee, 0);
    expect(requests()).toBe(3);
    expect((await join(again.socket, durable)).room.lastReadSeq).toBe(sent[2]!.seq);
    // Repaired once: the next connect reads Redis only.
    await device(dee, 1);
    expect(requests()).toBe(3);
  });

  it('connects with what Redis holds when the room list cannot be read, and tries again on the next connect', async () => {
    const eve = userFor();
    // No entry yet: the room list answers 404.
    const socket = await connected(connect(cluster.url(0), tokenFor(eve)));
    expect(socket.connected).toBe(true);
    expect(await redis.exists(keys().userRoomsLoaded(eve.userId))).toBe(0);
    durableRooms.set(eve.userId, []);
    await connected(connect(cluster.url(1), tokenFor(eve)));
    expect(await redis.exists(keys().userRoomsLoaded(eve.userId))).toBe(1);
  });
});

describe('direct rooms', () => {
  it('the first message reaches the recipient’s sockets on the other node with no action of theirs; both memberships are published once', async () => {
    const ann = userFor(newUserId(), 'Ann');
    const ben = userFor(newUserId(), 'Ben');
    const roomId = dmRoomId(ann.userId, ben.userId);
    const benHere = await device(ben, 0);
    const benThere = await device(ben, 1);
    const annOther = await device(ann, 1);
    const annSocket = await connected(connect(cluster.url(0), tokenFor(ann)));

    const ack = await send(annSocket, roomId, 'hi Ben');
    if (!ack.ok) throw new Error(ack.error.message);
    await waitFor(() => benHere.received.length === 1 && benThere.received.length === 1, 5000, 'first dm live');
    expect(benThere.received).toEqual([ack.message]);
    expect(benHere.received).toEqual([ack.message]);
    for (const d of [benHere, benThere]) expect(d.memberships).toEqual([{ roomId, member: true }]);
    await waitFor(() => annOther.received.length === 1, 5000, 'the sender’s other device');
    expect(annOther.memberships).toEqual([{ roomId, member: true }]);
    await waitFor(() => cluster.sink().messages.some((m) => m.id === ack.message.id), 5000, 'message at the broker');
    expect(membershipsOf(ben.userId, roomId)).toEqual([{ member: true, displayName: undefined }]);
    expect(membershipsOf(ann.userId, roomId)).toEqual([{ member: true, displayName: 'Ann' }]);

    const reply = await send(benThere.socket, roomId, 'hi Ann');
    expect(reply.ok).toBe(true);
    await waitFor(() => annOther.received.length === 2, 5000, 'the reply');
    expect(membershipsOf(ben.userId, roomId)).toHaveLength(1);
    expect(membershipsOf(ann.userId, roomId)).toHaveLength(1);
    // A later socket of the recipient has the room too.
    const benLater = await device(ben, 1);
    await flush(annSocket, roomId, [benLater]);
  });
});

describe('opening direct rooms', () => {
  it('limits how many conversations one sender opens per window (RATE_LIMITED, nothing kept); messages in rooms already open still go', async () => {
    const sender = userFor();
    const socket = await connected(connect(cluster.url(0), tokenFor(sender)));
    const opened: string[] = [];
    for (let i = 0; i < DIRECT_OPEN_RATE_LIMIT; i++) {
      const roomId = dmRoomId(sender.userId, newUserId());
      expect((await send(socket, roomId, `hi ${i}`)).ok).toBe(true);
      opened.push(roomId);
    }
    const peer = newUserId();
    const refused = await send(socket, dmRoomId(sender.userId, peer), 'one too many');
    expect(refused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(refused.ok || refused.error.retryAfterSec).toBeGreaterThan(0);
    expect(await redis.sismember(keys().userRooms(peer), dmRoomId(sender.userId, peer))).toBe(0);
    expect(await redis.sismember(keys().userRooms(sender.userId), dmRoomId(sender.userId, peer))).toBe(0);
    expect((await send(socket, opened[0]!, 'still here')).ok).toBe(true);
  });
});

describe('markRead', () => {
  /** Two users in a dm room with messages, each with two devices, and a stranger. */
  async function dmWithMessages(n: number) {
    const [me, peer] = [userFor(), userFor()];
    const roomId = dmRoomId(me.userId, peer.userId);
    const mine = await device(me, 0);
    const myOther = await device(me, 1);
    const theirs = await device(peer, 1);
    const stranger = await device(userFor(), 0);
    const seqs: number[] = [];
    for (let i = 0; i < n; i++) {
      const ack = await send(theirs.socket, roomId, `m${i}`);
      if (!ack.ok) throw new Error(ack.error.message);
      seqs.push(ack.message.seq);
    }
    return { me, roomId, mine, myOther, theirs, stranger, seqs };
  }

  it('moves only forward, clamps past the room’s last seq, publishes each move once and tells own devices and the dm peer, not strangers', async () => {
    const { me, roomId, mine, myOther, theirs, stranger, seqs } = await dmWithMessages(4);
    expect(await markRead(mine.socket, { roomId, seq: seqs[2] })).toEqual({ ok: true, lastReadSeq: seqs[2] });
    expect(await markRead(mine.socket, { roomId, seq: seqs[0] })).toEqual({ ok: true, lastReadSeq: seqs[2] });
    expect(await markRead(myOther.socket, { roomId, seq: seqs[2] })).toEqual({ ok: true, lastReadSeq: seqs[2] });
    expect(await markRead(mine.socket, { roomId, seq: seqs[3]! + 1_000_000 })).toEqual({
      ok: true,
      lastReadSeq: seqs[3],
    });

    const expected = [seqs[2], seqs[3]].map((seq) => ({ roomId, userId: me.userId, seq }));
    await waitFor(() => myOther.markers.length === 2 && theirs.markers.length === 2, 5000, 'read markers');
    expect(myOther.markers).toEqual(expected);
    expect(theirs.markers).toEqual(expected);
    await waitFor(() => cluster.sink().reads.filter((r) => r.userId === me.userId).length === 2, 5000, 'read events');
    expect(cluster.sink().reads.filter((r) => r.userId === me.userId)).toEqual(expected);
    // The stranger hears nothing; the marking socket has its ack instead.
    await flush(theirs.socket, roomId, [mine]);
    expect(stranger.markers).toEqual([]);
    expect(mine.markers).toEqual([]);
    // The next join answers the marker.
    expect((await join(myOther.socket, roomId)).room.lastReadSeq).toBe(seqs[3]);
  });

  it('in a public room tells only the user’s own other devices', async () => {
    const roomId = room();
    const [me, other] = [userFor(), userFor()];
    const mine = await device(me, 0);
    const myOther = await device(me, 1);
    const member = await device(other, 1);
    await join(mine.socket, roomId);
    await join(member.socket, roomId);
    const ack = await send(member.socket, roomId, 'read me');
    if (!ack.ok) throw new Error(ack.error.message);
    expect(await markRead(mine.socket, { roomId, seq: ack.message.seq })).toEqual({
      ok: true,
      lastReadSeq: ack.message.seq,
    });
    await waitFor(() => myOther.markers.length === 1, 5000, 'marker on the other device');
    await flush(mine.socket, roomId, [member]);
    expect(member.markers).toEqual([]);
  });

  it('answers hostile payloads with errors and stays up: wrong types INVALID, a foreign dm room or a room not joined FORBIDDEN', async () => {
    const me = userFor();
    const socket = await connected(connect(cluster.url(0), tokenFor(me)));
    const drops: string[] = [];
    socket.on('disconnect', (reason) => drops.push(reason));
    const foreign = dmRoomId(newUserId(), newUserId());
    const cases: [unknown, string][] = [
      [undefined, 'INVALID'],
      ['lobby', 'INVALID'],
      [{ roomId: 'lobby' }, 'INVALID'],
      [{ roomId: 'lobby', seq: '5' }, 'INVALID'],
      [{ roomId: 'lobby', seq: -1 }, 'INVALID'],
      [{ roomId: 'lobby', seq: 1.5 }, 'INVALID'],
      [{ roomId: 'lobby', seq: 2 ** 53 }, 'INVALID'],
      [{ roomId: 'lobby', seq: 1e308 }, 'INVALID'],
      [{ roomId: 'lobby', seq: 1, userId: newUserId() }, 'INVALID'],
      [{ roomId: ['lobby'], seq: 1 }, 'INVALID'],
      [{ roomId: 'LOBBY', seq: 1 }, 'INVALID'],
      [{ roomId: foreign, seq: 1 }, 'FORBIDDEN'],
      [{ roomId: room(), seq: 1 }, 'FORBIDDEN'],
    ];
    for (const [payload, code] of cases) {
      expect(await markRead(socket, payload), JSON.stringify(payload)).toMatchObject({ ok: false, error: { code } });
    }
    expect(await emitRaw(socket, 'joinRoom', { roomId: foreign })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await emitRaw(socket, 'leaveRoom', { roomId: foreign })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(cluster.sink().reads.filter((r) => r.userId === me.userId)).toEqual([]);
    expect(drops).toEqual([]);
    expect(socket.connected).toBe(true);
  });

  it('answers UNAVAILABLE when the broker cannot take the move, and leaves the marker where it was', async () => {
    const { roomId, mine, seqs } = await dmWithMessages(2);
    expect(await markRead(mine.socket, { roomId, seq: seqs[0] })).toEqual({ ok: true, lastReadSeq: seqs[0] });
    await cluster.sink().unbind();
    try {
      expect(await markRead(mine.socket, { roomId, seq: seqs[1] })).toMatchObject({
        ok: false,
        error: { code: 'UNAVAILABLE' },
      });
    } finally {
      await cluster.sink().rebind();
    }
    expect((await join(mine.socket, roomId)).room.lastReadSeq).toBe(seqs[0]);
    expect(await markRead(mine.socket, { roomId, seq: seqs[1] })).toEqual({ ok: true, lastReadSeq: seqs[1] });
  });

  it('answers a flood RATE_LIMITED beyond MARK_READ_RATE_LIMIT per socket and the socket stays up', async () => {
    const { roomId, mine } = await dmWithMessages(1);
    const acks = await Promise.all(
      Array.from({ length: MARK_READ_RATE_LIMIT + 10 }, () => markRead(mine.socket, { roomId, seq: 0 })),
    );
    expect(acks.filter((a) => a.ok)).toHaveLength(MARK_READ_RATE_LIMIT);
    expect(acks.filter((a) => !a.ok).map((a) => !a.ok && a.error.code)).toEqual(Array(10).fill('RATE_LIMITED'));
    expect(mine.socket.connected).toBe(true);
  });
});
