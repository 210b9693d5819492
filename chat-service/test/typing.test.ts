import { TYPING_INTERVAL_MS, typingAckSchema, type TypingEvent } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import {
  connect,
  connected,
  emitRaw,
  join,
  newUserId,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
  type ClientSocket,
} from './helpers.js';

const cluster = useChatCluster('chat-typing', { nodes: 2 });
let rooms = 0;
const newRoom = () => `typing-${rooms++}-${Date.now().toString(36)}`;

/**
 * A socket of `user` on node `node`, joined to `room`, recording the typing events and who it
 * saw come online. Typing is volatile: a socket whose transport is busy (e.g. with a presence
 * event) when a relay arrives drops it, so tests type only once the room's announcements are in.
 */
async function member(user: ReturnType<typeof userFor>, node: number, room: string) {
  const socket = await connected(connect(cluster.url(node), tokenFor(user)));
  const events: TypingEvent[] = [];
  const online = new Set<string>();
  socket.on('typing', (e) => events.push(e));
  socket.on('presence', (e) => online.add(e.userId));
  await join(socket, room);
  return { socket, events, online };
}

/** Until each of `members` has seen `last` (the latest to join) come online: no announcement in flight. */
async function settled(members: { online: Set<string> }[], last: { userId: string }) {
  await waitFor(() => members.every((m) => m.online.has(last.userId)), 5000, 'announcements in');
}

const type = (socket: ClientSocket, roomId: string, typing: boolean) => emitRaw(socket, 'typing', { roomId, typing });

const markers = new Set<string>();
/** Marker users type on each node; once `receiver` has both, every relay made before has reached it. */
async function flush(receiver: { events: TypingEvent[]; online: Set<string> }, room: string) {
  for (const node of [0, 1]) {
    const marker = userFor();
    markers.add(marker.userId);
    const m = await member(marker, node, room);
    await settled([receiver], marker);
    expect(await type(m.socket, room, true)).toEqual({ ok: true });
    await waitFor(() => receiver.events.some((e) => e.userId === marker.userId), 5000, 'marker typing');
  }
  // A user's joins subscribe all their sockets, so a receiver may hear of other rooms too.
  return receiver.events.filter((e) => !markers.has(e.userId) && e.roomId === room);
}

describe('typing', () => {
  it('reaches the room’s other users on every node, never the typist’s own sockets', async () => {
    const room = newRoom();
    const ada = userFor(newUserId(), 'Ada');
    const carlUser = userFor();
    const a0 = await member(ada, 0, room);
    const a1 = await member(ada, 1, room);
    const bob = await member(userFor(), 0, room);
    const carl = await member(carlUser, 1, room);
    await settled([a0, a1, bob, carl], carlUser);
    const outsider = await connected(connect(cluster.url(1), tokenFor(userFor())));
    const outsiderEvents: TypingEvent[] = [];
    outsider.on('typing', (e) => outsiderEvents.push(e));

    expect(await type(a0.socket, room, true)).toEqual({ ok: true });
    const expected: TypingEvent = { roomId: room, userId: ada.userId, displayName: 'Ada', typing: true };
    await waitFor(() => bob.events.length > 0 && carl.events.length > 0, 5000, 'typing on both nodes');
    expect(bob.events).toEqual([expected]);
    expect(carl.events).toEqual([expected]);
    expect(await flush(a0, room)).toEqual([]);
    expect(await flush(a1, room)).toEqual([]);
    expect(outsiderEvents).toEqual([]);
  });

  it('one `typing: true` per user and room per second across sockets and nodes; a `false` clears once', async () => {
    const room = newRoom();
    const [ada, bobUser] = [userFor(), userFor()];
    const a0 = await member(ada, 0, room);
    const a1 = await member(ada, 1, room);
    const bob = await member(bobUser, 1, room);
    await settled([bob], bobUser);
    const startedAt = Date.now();
    const acks = await Promise.all(
      Array.from({ length: 10 }, (_, i) => type(i % 2 ? a1.socket : a0.socket, room, true)),
    );
    expect(acks.every((a) => JSON.stringify(a) === '{"ok":true}')).toBe(true);
    // The same user in another room is counted apart.
    const other = newRoom();
    await join(a0.socket, other);
    const bobElsewhere = await member(bobUser, 0, other);
    await settled([bobElsewhere], bobUser);
    expect(await type(a0.socket, other, true)).toEqual({ ok: true });
    await waitFor(() => bobElsewhere.events.length === 1, 5000, 'typing in the other room');

    expect(await type(a1.socket, room, false)).toEqual({ ok: true });
    expect(await type(a0.socket, room, false)).toEqual({ ok: true });
    expect(await type(a0.socket, room, true)).toEqual({ ok: true });
    const withinInterval = Date.now() - startedAt < TYPING_INTERVAL_MS;
    // The second `false` found nothing shown to clear; the last `true` came within the interval
    // (unless this machine took longer than the interval to get here).
    const first = withinInterval ? [true, false] : [true, false, true];
    expect((await flush(bob, room)).map((e) => e.typing)).toEqual(first);

    await new Promise((resolve) => setTimeout(resolve, TYPING_INTERVAL_MS));
    expect(await type(a1.socket, room, true)).toEqual({ ok: true });
    expect(await type(a1.socket, room, true)).toEqual({ ok: true });
    expect((await flush(bob, room)).map((e) => e.typing)).toEqual([...first, true]);
  });

  it('hostile or misplaced payloads answer the contract’s error, also without an ack; the socket stays up', async () => {
    const room = newRoom();
    const ada = await member(userFor(), 0, room);
    const drops: string[] = [];
    ada.socket.on('disconnect', (reason) => drops.push(reason));
    const bad: unknown[] = [
      undefined,
      null,
      'typing',
      42,
      [],
      { roomId: room },
      { roomId: room, typing: 'yes' },
      { roomId: room, typing: 1 },
      { roomId: room, typing: true, userId: 'someone-else' },
      { roomId: 'Bad Room', typing: true },
      { roomId: 'x'.repeat(5000), typing: true },
      { roomId: ['lobby'], typing: true },
      JSON.parse('{"__proto__":{"typing":true},"roomId":"lobby"}'),
    ];
    for (const payload of bad) {
      const ack = (await emitRaw(ada.socket, 'typing', payload)) as { ok: boolean; error?: { code: string } };
      expect(typingAckSchema.safeParse(ack).success).toBe(true);
      expect(ack.error?.code).toBe('INVALID');
    }
    const notJoined = (await type(ada.socket, newRoom(), true)) as { error?: { code: string } };
    expect(notJoined.error?.code).toBe('FORBIDDEN');
    const dm = `dm:${[newUserId(), newUserId()].sort().join(':')}`;
    expect(((await type(ada.socket, dm, true)) as { error?: { code: string } }).error?.code).toBe('FORBIDDEN');
    // No ack callback at all (the contract makes it optional), then a frame with a non-function in its place.
    const untyped = ada.socket as unknown as { emit(ev: string, ...a: unknown[]): void };
    untyped.emit('typing', { roomId: room, typing: true });
    untyped.emit('typing', { roomId: room, typing: 'no' });
    untyped.emit('typing', { roomId: room, typing: true }, 'not a function');
    expect(await type(ada.socket, room, false)).toEqual({ ok: true });
    expect(drops).toEqual([]);
    expect(ada.socket.connected).toBe(true);
  });

  it('a flood of frames from one socket is refused RATE_LIMITED past the socket’s window (shared with markRead), the socket stays up', async () => {
    const room = newRoom();
    const flooder = await member(userFor(), 0, room);
    // In batches of 10, so the bound on unanswered events (64) is never what refuses them.
    const answers: unknown[] = [];
    for (let batch = 0; batch < 7; batch++) {
      answers.push(...(await Promise.all(Array.from({ length: 10 }, () => type(flooder.socket, room, true)))));
    }
    const limited = answers.filter((a) => (a as { error?: { code?: string } }).error?.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThanOrEqual(10); // 60 per 10 s by default
    expect(flooder.socket.connected).toBe(true);
  });

  it('nothing of it reaches RabbitMQ', async () => {
    // Every test above typed through the same cluster, whose sink queue is bound to every room.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cluster.sink().events).toEqual([]);
  });
});
