import type { Member, PublicUser, RoomSummary } from '@chat/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api/http.js';
import type { ChatSocket } from '../src/chat/chat-client.js';
import { RoomActivity, type RoomActivityDeps } from '../src/rooms/room-activity.js';
import { FakeSocket, flush, ME, sleep } from './chat-client-harness.js';
import { ALICE_ID, ME_ID, message, summary } from './fixtures.js';

const DM = `dm:${ME_ID}:${ALICE_ID}`;
const ALICE: PublicUser = { id: ALICE_ID, username: 'alice', displayName: 'Alice' };
const member = (userId: string, over: Partial<Member> = {}): Member => ({
  userId,
  displayName: userId === ME_ID ? 'Me' : 'Alice',
  online: false,
  lastReadSeq: 0,
  ...over,
});

function setup(server: { rooms: RoomSummary[]; members?: Member[] }, extra: Partial<RoomActivityDeps> = {}) {
  const deps = {
    me: ME,
    token: () => 't',
    fetchRooms: vi.fn(async () => server.rooms),
    fetchMembers: vi.fn(async () => server.members ?? []),
    fetchUsers: vi.fn(async (_t: string, ids: readonly string[]) => (ids.includes(ALICE_ID) ? [ALICE] : [])),
    onUnauthorized: vi.fn(),
    onRoomGone: vi.fn(),
    reloadDelayMs: 0,
    settleRetryMs: 20,
    ...extra,
  };
  const activity = new RoomActivity(deps);
  const socket = new FakeSocket();
  activity.attach(socket as unknown as ChatSocket);
  activities.push(activity);
  return { activity, socket, deps, snap: () => activity.getSnapshot() };
}
const activities: RoomActivity[] = [];
afterEach(() => {
  activities.splice(0).forEach((a) => a.stop());
  vi.useRealTimers();
});

const entry = (a: RoomActivity, id: string) => a.getSnapshot().list.rooms.find((r) => r.id === id);

describe('RoomActivity', () => {
  it('shows the kept list at once, then the server list on connect, with peer names and online dots', async () => {
    const { activity, socket, deps, snap } = setup(
      {
        rooms: [summary(DM, { peer: ALICE_ID, unread: 2 })],
        members: [member(ME_ID), member(ALICE_ID, { online: true })],
      },
      {},
    );
    expect(snap().list.rooms).toEqual([]);
    socket.serverAccepts();
    await vi.waitFor(() => expect(snap().users[ALICE_ID]).toEqual(ALICE));
    expect(entry(activity, DM)?.unread).toBe(2);
    await vi.waitFor(() => expect(snap().presence[DM]?.[ALICE_ID]?.online).toBe(true));
    expect(deps.fetchMembers).toHaveBeenCalledWith('t', DM);
  });

  it('keeps the list it has when the server cannot answer, and a refused token goes to the app', async () => {
    const { activity, socket, deps } = setup(
      { rooms: [] },
      {
        initialRooms: [{ id: 'general' }],
        fetchRooms: vi.fn(async () => {
          throw new ApiError(401, 'UNAUTHORIZED', 'no');
        }),
      },
    );
    socket.serverAccepts();
    await flush();
    expect(entry(activity, 'general')).toBeDefined();
    expect(deps.onUnauthorized).toHaveBeenCalledWith('t');
  });

  it("counts others' messages live; a room it does not hold (a first direct message) shows at once, before the server lists it", async () => {
    const server = { rooms: [summary('general')] };
    const { activity, socket, deps } = setup(server);
    socket.serverAccepts();
    await vi.waitFor(() => expect(entry(activity, 'general')).toBeDefined());
    socket.fire('receiveMessage', message(6));
    expect(entry(activity, 'general')?.unread).toBe(1);

    // The server's list does not hold it yet (membership rides the persist queue): shown anyway.
    socket.fire('receiveMessage', message(1, { roomId: DM }));
    expect(entry(activity, DM)).toMatchObject({ unread: 1, peerId: ALICE_ID });
    await vi.waitFor(() => expect(vi.mocked(deps.fetchRooms).mock.calls.length).toBeGreaterThanOrEqual(3));
    await vi.waitFor(() => expect(activity.getSnapshot().users[ALICE_ID]).toEqual(ALICE));
    expect(entry(activity, DM)?.unread).toBe(1);

    // Asked again until the server lists it, then no more.
    server.rooms = [
      summary(DM, { peer: ALICE_ID, unread: 1, lastSeq: 1 }),
      summary('general', { lastSeq: 6, unread: 1 }),
    ];
    await vi.waitFor(() => expect(entry(activity, DM)?.readKnown).toBe(true));
    const asked = vi.mocked(deps.fetchRooms).mock.calls.length;
    await sleep(100);
    expect(deps.fetchRooms).toHaveBeenCalledTimes(asked);
  });

  it('does not count messages in the room the user is reading', async () => {
    const { activity, socket } = setup({ rooms: [summary('general')] });
    socket.serverAccepts();
    await vi.waitFor(() => expect(entry(activity, 'general')).toBeDefined());
    activity.setViewing('general', true);
    socket.fire('receiveMessage', message(6));
    expect(entry(activity, 'general')?.unread).toBe(0);
    activity.setViewing('general', false);
    socket.fire('receiveMessage', message(7));
    expect(entry(activity, 'general')?.unread).toBe(1);
  });

  it('markRead clears the badge at once, is sent forward only, and is sent again after a lost answer', async () => {
    const { activity, socket } = setup({ rooms: [summary('general', { lastSeq: 9, lastReadSeq: 5, unread: 4 })] });
    socket.serverAccepts();
    await vi.waitFor(() => expect(entry(activity, 'general')?.unread).toBe(4));
    activity.markRead('general', 9);
    expect(entry(activity, 'general')?.unread).toBe(0);
    const sent = socket.take('markRead');
    expect(sent.payload).toEqual({ roomId: 'general', seq: 9 });
    activity.markRead('general', 8);
    activity.markRead('general', 9);
    expect(socket.emitted.filter((e) => e.event === 'markRead')).toHaveLength(0);
    sent.fail();
    await flush();
    socket.drop();
    socket.serverAccepts();
    expect(socket.take('markRead').payload).toEqual({ roomId: 'general', seq: 9 });
  });

  it('a refusal for now (UNAVAILABLE, RATE_LIMITED) is sent again after its wait; a final one (FORBIDDEN) is not', async () => {
    const { activity, socket } = setup({ rooms: [summary('general', { lastSeq: 9, lastReadSeq: 5, unread: 4 })] });
    socket.serverAccepts();
    await vi.waitFor(() => expect(entry(activity, 'general')?.unread).toBe(4));
    activity.markRead('general', 9);
    socket.take('markRead').answer({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow', retryAfterSec: 1 } });
    await flush();
    expect(socket.emitted.filter((e) => e.event === 'markRead')).toHaveLength(0);
    await vi.waitFor(() => expect(socket.emitted.some((e) => e.event === 'markRead')).toBe(true), { timeout: 2000 });
    socket.take('markRead').answer({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
    activity.leave('general');
    socket
      .take('leaveRoom')
      .answer({ ok: false, error: { code: 'UNAVAILABLE', message: 'broker down', retryAfterSec: 1 } });
    await vi.waitFor(() => expect(socket.emitted.some((e) => e.event === 'leaveRoom')).toBe(true), { timeout: 2000 });
    socket.take('leaveRoom').answer({ ok: true });
    // Answered for good: a reconnect sends neither again.
    await flush();
    socket.drop();
    socket.serverAccepts();
    await flush();
    expect(socket.emitted.filter((e) => e.event === 'markRead' || e.event === 'leaveRoom')).toHaveLength(0);
  });

  it("a readMarker from the user's other device clears the badge; one from the peer is kept for Seen", async () => {
    const { activity, socket, snap } = setup({ rooms: [summary(DM, { lastSeq: 9, lastReadSeq: 5, unread: 4 })] });
    socket.serverAccepts();
    await vi.waitFor(() => expect(entry(activity, DM)?.unread).toBe(4));
    socket.fire('readMarker', { roomId: DM, userId: ME_ID, seq: 9 });
    expect(entry(activity, DM)?.unread).toBe(0);
    socket.fire('readMarker', { roomId: DM, userId: ALICE_ID, seq: 7 });
    socket.fire('readMarker', { roomId: DM, userId: ALICE_ID, seq: 3 });
    expect(snap().readers[DM]?.[ALICE_ID]).toBe(7);
    socket.fire('readMarker', { roomId: DM, userId: ALICE_ID, seq: 'x' });
    expect(snap().readers[DM]?.[ALICE_ID]).toBe(7);
  });

  it('typing from others shows, drops on their message and after the timeout; own is ignored', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { socket, snap } = setup({ rooms: [] }, { now: () => Date.now() });
    socket.fire('typing', { roomId: 'general', userId: ALICE_ID, displayName: 'Alice', typing: true });
    socket.fire('typing', { roomId: 'general', userId: ME_ID, displayName: 'Me', typing: true });
    expect(snap().typing.general?.map((t) => t.name)).toEqual(['Alice']);
    socket.fire('receiveMessage', message(1));
    expect(snap().typing.general).toBeUndefined();
    socket.fire('typing', { roomId: 'general', userId: ALICE_ID, displayName: 'Alice', typing: true });
    vi.advanceTimersByTime(5_900);
    expect(snap().typing.general).toHaveLength(1);
    vi.advanceTimersByTime(200);
    expect(snap().typing.general).toBeUndefined();
  });

  it('presence keeps the members list live: online state, and a newcomer added', async () => {
    const { activity, socket, snap } = setup({
      rooms: [],
      members: [member(ME_ID, { online: true }), member(ALICE_ID)],
    });
    await activity.loadMembers('general');
    socket.fire('presence', { roomId: 'general', userId: ALICE_ID, displayName: 'Alice', online: true });
    expect(snap().presence.general?.[ALICE_ID]?.online).toBe(true);
    socket.fire('presence', { roomId: 'general', userId: 'c'.repeat(24), displayName: 'Cy', online: true });
    expect(snap().members.general?.members?.map((m) => m.displayName)).toEqual(['Me', 'Alice', 'Cy']);
  });

  it('leave ends the membership (sent again after a lost answer); a membership event from elsewhere drops the room', async () => {
    const { activity, socket, deps } = setup({ rooms: [summary('a'), summary('b')] });
    socket.serverAccepts();
    await vi.waitFor(() => expect(entry(activity, 'b')).toBeDefined());
    activity.leave('a');
    expect(entry(activity, 'a')).toBeUndefined();
    socket.take('leaveRoom').fail();
    await flush();
    socket.drop();
    socket.serverAccepts();
    const again = socket.take('leaveRoom');
    expect(again.payload).toEqual({ roomId: 'a' });
    again.answer({ ok: true });
    // The server still lists it a moment after: it stays out.
    await vi.waitFor(() => expect(deps.fetchRooms).toHaveBeenCalledTimes(2));
    await flush();
    expect(entry(activity, 'a')).toBeUndefined();

    socket.fire('membership', { roomId: 'b', member: false });
    expect(entry(activity, 'b')).toBeUndefined();
    expect(deps.onRoomGone).toHaveBeenCalledWith('b');
  });

  it('a membership event for a room joined elsewhere lists it at once and reloads the list', async () => {
    const server = { rooms: [summary('a')] };
    const { activity, socket } = setup(server);
    socket.serverAccepts();
    await vi.waitFor(() => expect(entry(activity, 'a')).toBeDefined());
    server.rooms = [summary('new', { unread: 3 }), summary('a')];
    socket.fire('membership', { roomId: 'new', member: true });
    expect(entry(activity, 'new')).toBeDefined();
    await vi.waitFor(() => expect(entry(activity, 'new')?.unread).toBe(3));
  });

  it('typing is sent volatile, and only while connected', () => {
    const { activity, socket } = setup({ rooms: [] });
    activity.sendTyping('general', true);
    expect(socket.emitted).toHaveLength(0);
    socket.serverAccepts();
    activity.sendTyping('general', false);
    expect(socket.take('typing').payload).toEqual({ roomId: 'general', typing: false });
  });
});
