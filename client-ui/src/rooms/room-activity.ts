import {
  leaveRoomAckSchema,
  markReadAckSchema,
  messageSchema,
  roomIdSchema,
  seqSchema,
  userIdSchema,
  type AckError,
  type Member,
  type PublicUser,
  type RoomSummary,
} from '@chat/contracts';
import { z } from 'zod';
import { ApiError } from '../api/http.js';
import type { ChatSocket } from '../chat/chat-client.js';
import {
  bareEntry,
  emptyRoomList,
  listLoaded,
  markerMoved,
  messageReceived,
  messageUpdated,
  roomAdded,
  roomRemoved,
  type RoomList,
} from './room-list.js';
import { nextTypingExpiry, typingChanged, typingExpired, typistSent, type TypingByRoom } from './typing.js';

export interface Presence {
  online: boolean;
  displayName: string;
}

export interface MembersState {
  members: readonly Member[] | undefined;
  failed: boolean;
}

type ByRoom<T> = Readonly<Record<string, T>>;

export interface ActivitySnapshot {
  list: RoomList;
  /** Public profiles of direct-room peers, by id (`GET /auth/users?ids=`), cached for the session. */
  users: ByRoom<PublicUser>;
  /** Who is online in each room, by user id (members lists, then `presence` events). */
  presence: ByRoom<ByRoom<Presence>>;
  typing: TypingByRoom;
  /** Other members' read markers by room and user (members lists, then `readMarker` events). */
  readers: ByRoom<ByRoom<number>>;
  /** Members lists asked for (the members panel, the open room). */
  members: ByRoom<MembersState>;
}

export interface RoomActivityDeps {
  me: PublicUser;
  /** The session's current token (it is refreshed under us). */
  token: () => string;
  fetchRooms: (token: string) => Promise<RoomSummary[]>;
  fetchMembers: (token: string, roomId: string) => Promise<Member[]>;
  fetchUsers: (token: string, ids: readonly string[]) => Promise<PublicUser[]>;
  onUnauthorized: (token: string) => void;
  /** Another device left a room (or it was left here): the app closes it. */
  onRoomGone: (roomId: string) => void;
  /** The list kept from the last visit, shown until the server's answers. */
  initialRooms?: readonly { id: string; peer?: PublicUser | undefined }[];
  now?: () => number;
  ackTimeoutMs?: number;
  /** Coalesces the reloads a burst of events asks for. */
  reloadDelayMs?: number;
  /** First wait before asking again for rooms added here that the server's list lacked (doubling each time). */
  settleRetryMs?: number;
}

/** Direct rooms whose peer's online dot is loaded with each list (one members request each). */
const DIRECT_PRESENCE_MAX = 20;

// Server events are checked before use, like every other answer.
const typingEventSchema = z.object({
  roomId: roomIdSchema,
  userId: userIdSchema,
  displayName: z.string(),
  typing: z.boolean(),
});
const presenceEventSchema = z.object({
  roomId: roomIdSchema,
  userId: userIdSchema,
  displayName: z.string(),
  online: z.boolean(),
});
const readMarkerEventSchema = z.object({ roomId: roomIdSchema, userId: userIdSchema, seq: seqSchema });
const membershipEventSchema = z.object({ roomId: roomIdSchema, member: z.boolean() });

/**
 * Everything about the user's rooms beyond their messages (DESIGN.md §3.3, §3.4): the room
 * list with unread and mention counts, presence, typing, read markers and membership, kept
 * live from the chat socket's events and reloaded from the server on every connect.
 * React reads it through `subscribe` and `getSnapshot`; the rules live in pure modules.
 */
export class RoomActivity {
  private snapshot: ActivitySnapshot;
  private readonly listeners = new Set<() => void>();
  private socket: ChatSocket | undefined;
  private readonly now: () => number;
  private readonly ackTimeoutMs: number;
  /** The room on screen, and whether the user is reading it (visible, focused, at the newest). */
  private viewing: { roomId: string; reading: boolean } | undefined;
  private loading: Promise<void> | undefined;
  private loadAgain = false;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  /** The wait before the next reload for rooms the server did not list yet; reset once it lists them all. */
  private settleWaitMs: number;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  /** The highest seq this device marked read per room; `pendingMarks` holds those not acknowledged yet. */
  private readonly marked = new Map<string, number>();
  private readonly pendingMarks = new Set<string>();
  /** Leaves not acknowledged yet: sent again on the next connect. */
  private readonly leaving = new Set<string>();
  private readonly usersAsked = new Set<string>();
  /** Direct rooms whose members (the peer's online state) were loaded on this connection. */
  private readonly presenceAsked = new Set<string>();

  constructor(private readonly deps: RoomActivityDeps) {
    this.now = deps.now ?? Date.now;
    this.ackTimeoutMs = deps.ackTimeoutMs ?? 15_000;
    this.settleWaitMs = deps.settleRetryMs ?? 1_000;
    const initial = deps.initialRooms ?? [];
    const users: Record<string, PublicUser> = {};
    for (const r of initial) if (r.peer) users[r.peer.id] = r.peer;
    this.snapshot = {
      list: { ...emptyRoomList, rooms: initial.map((r) => bareEntry(r.id, deps.me.id)) },
      users,
      presence: {},
      typing: {},
      readers: {},
      members: {},
    };
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ActivitySnapshot => this.snapshot;

  /** Listen on a new chat socket (each connection the chat client makes). */
  attach = (socket: ChatSocket): ChatSocket => {
    this.socket = socket;
    socket.on('connect', () => this.onConnect());
    socket.on('receiveMessage', (raw) => this.onReceive(raw));
    socket.on('messageUpdated', (raw) => {
      const message = messageSchema.safeParse(raw);
      if (message.success) this.setList(messageUpdated(this.snapshot.list, message.data));
    });
    socket.on('typing', (raw) => this.onTyping(raw));
    socket.on('presence', (raw) => this.onPresence(raw));
    socket.on('readMarker', (raw) => this.onReadMarker(raw));
    socket.on('membership', (raw) => this.onMembership(raw));
    return socket;
  };

  stop(): void {
    clearTimeout(this.reloadTimer);
    clearTimeout(this.typingTimer);
  }

  /** Load the room list from the server (one at a time; a request meanwhile loads once more after). */
  reload(): Promise<void> {
    if (this.loading) {
      this.loadAgain = true;
      return this.loading;
    }
    this.loading = this.loadList().finally(() => {
      this.loading = undefined;
      if (this.loadAgain) {
        this.loadAgain = false;
        void this.reload();
      }
    });
    return this.loading;
  }

  /** The room on screen and whether the user is reading it: its messages then count as read, not unread. */
  setViewing(roomId: string | undefined, reading: boolean): void {
    this.viewing = roomId ? { roomId, reading } : undefined;
  }

  /** A room joined (or a direct conversation started) here; `peer` names a direct one. */
  join(roomId: string, peer?: PublicUser): void {
    if (peer && !this.snapshot.users[peer.id]) {
      this.update({ ...this.snapshot, users: { ...this.snapshot.users, [peer.id]: peer } });
    }
    this.setList(roomAdded(this.snapshot.list, roomId, this.deps.me.id, this.now()));
  }

  /** End the membership (every device drops the room: the server sends them `membership`). */
  leave(roomId: string): void {
    this.forget(roomId);
    this.leaving.add(roomId);
    void this.emitLeave(roomId);
  }

  /** Move the read marker forward to `seq` (never back); the unread badge clears at once. */
  markRead(roomId: string, seq: number): void {
    if (seq <= (this.marked.get(roomId) ?? -1)) return;
    const entry = this.snapshot.list.rooms.find((r) => r.id === roomId);
    if (entry?.readKnown && seq <= entry.lastReadSeq && entry.unread === 0) return;
    this.marked.set(roomId, seq);
    this.pendingMarks.add(roomId);
    this.setList(markerMoved(this.snapshot.list, roomId, seq));
    void this.emitMark(roomId);
  }

  /** Tell the room the user is (or stopped) typing; volatile, dropped while disconnected. */
  sendTyping(roomId: string, typing: boolean): void {
    if (this.socket?.connected) this.socket.volatile.emit('typing', { roomId, typing });
  }

  /** Load (or reload) a room's members for the members panel and "Seen". */
  async loadMembers(roomId: string): Promise<void> {
    const token = this.deps.token();
    try {
      this.applyMembers(roomId, await this.deps.fetchMembers(token, roomId));
    } catch (err) {
      this.httpFailed(err, token);
      const held = this.snapshot.members[roomId]?.members;
      this.setMembers(roomId, { members: held, failed: true });
    }
  }

  // ---- internals ----

  private onConnect(): void {
    // Presence may have changed while away: the peers' dots are loaded again with the list.
    this.presenceAsked.clear();
    void this.reload();
    for (const roomId of this.leaving) void this.emitLeave(roomId);
    for (const roomId of this.pendingMarks) void this.emitMark(roomId);
  }

  private async loadList(): Promise<void> {
    const token = this.deps.token();
    let rooms: RoomSummary[];
    try {
      rooms = await this.deps.fetchRooms(token);
    } catch (err) {
      // The list held (from the last visit, or live) stays; the next connect tries again.
      this.httpFailed(err, token);
      return;
    }
    let list = listLoaded(this.snapshot.list, rooms, this.deps.me.id, this.now());
    // Markers sent here that the store has not taken in yet still count.
    for (const [roomId, seq] of this.marked) list = markerMoved(list, roomId, seq);
    this.setList(list);
    // Rooms added here that the store has not taken in yet: ask again, less and less often.
    if (Object.keys(list.added).length > 0) {
      this.scheduleReload(this.settleWaitMs);
      this.settleWaitMs *= 2;
    } else {
      this.settleWaitMs = this.deps.settleRetryMs ?? 1_000;
    }
    void this.loadUsers();
    void this.loadDirectPresence();
  }

  private scheduleReload(delayMs = this.deps.reloadDelayMs ?? 300): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.reload(), delayMs);
  }

  /** Names of direct-room peers not known yet, in one request. */
  private async loadUsers(): Promise<void> {
    const ids = [
      ...new Set(
        this.snapshot.list.rooms.flatMap((r) => (r.peerId && !this.usersAsked.has(r.peerId) ? [r.peerId] : [])),
      ),
    ].filter((id) => !this.snapshot.users[id]);
    if (ids.length === 0) return;
    for (const id of ids) this.usersAsked.add(id);
    const token = this.deps.token();
    try {
      const found = await this.deps.fetchUsers(token, ids);
      this.update({
        ...this.snapshot,
        users: { ...this.snapshot.users, ...Object.fromEntries(found.map((u) => [u.id, u])) },
      });
    } catch (err) {
      for (const id of ids) this.usersAsked.delete(id);
      this.httpFailed(err, token);
    }
  }

  /** The online dots of the most recent direct rooms: their members, a few at a time. */
  private async loadDirectPresence(): Promise<void> {
    const rooms = this.snapshot.list.rooms
      .filter((r) => r.peerId)
      .slice(0, DIRECT_PRESENCE_MAX)
      .filter((r) => !this.presenceAsked.has(r.id));
    for (const r of rooms) this.presenceAsked.add(r.id);
    await Promise.all(rooms.map((r) => this.loadMembers(r.id)));
  }

  private applyMembers(roomId: string, members: readonly Member[]): void {
    const presence = { ...this.snapshot.presence[roomId] };
    const readers = { ...this.snapshot.readers[roomId] };
    for (const m of members) {
      presence[m.userId] = { online: m.online, displayName: m.displayName };
      if (m.userId !== this.deps.me.id) readers[m.userId] = Math.max(readers[m.userId] ?? 0, m.lastReadSeq);
    }
    this.update({
      ...this.snapshot,
      presence: { ...this.snapshot.presence, [roomId]: presence },
      readers: { ...this.snapshot.readers, [roomId]: readers },
      members: { ...this.snapshot.members, [roomId]: { members, failed: false } },
    });
  }

  private onReceive(raw: unknown): void {
    const parsed = messageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    const typing = typistSent(this.snapshot.typing, message.roomId, message.senderId);
    if (typing !== this.snapshot.typing) this.update({ ...this.snapshot, typing });
    const ctx = {
      meId: this.deps.me.id,
      meUsername: this.deps.me.username,
      reading: this.viewing?.roomId === message.roomId && this.viewing.reading,
    };
    const list = messageReceived(this.snapshot.list, message, ctx);
    if (list) {
      this.setList(list);
      return;
    }
    // A room not listed (a first direct message, a room joined elsewhere): shown at once, and
    // the server's list, which may not hold it yet (membership rides the persist queue), fills in the rest.
    if (message.roomId in this.snapshot.list.left) return;
    this.setList(messageReceived(this.addRoom(message.roomId), message, ctx) ?? this.snapshot.list);
    this.scheduleReload();
  }

  /** A room this device learnt of by an event: listed at once (its peer named), kept through a stale reload. */
  private addRoom(roomId: string): RoomList {
    this.setList(roomAdded(this.snapshot.list, roomId, this.deps.me.id, this.now()));
    void this.loadUsers();
    return this.snapshot.list;
  }

  private onTyping(raw: unknown): void {
    const event = typingEventSchema.safeParse(raw);
    if (!event.success || event.data.userId === this.deps.me.id) return;
    this.setTyping(typingChanged(this.snapshot.typing, event.data, this.now()));
  }

  private onPresence(raw: unknown): void {
    const parsed = presenceEventSchema.safeParse(raw);
    if (!parsed.success) return;
    const { roomId, userId, displayName, online } = parsed.data;
    const held = this.snapshot.members[roomId]?.members;
    // Someone new came online in a room whose members are shown: they are a member now.
    const members =
      held && online && !held.some((m) => m.userId === userId)
        ? {
            ...this.snapshot.members,
            [roomId]: { members: [...held, { userId, displayName, online, lastReadSeq: 0 }], failed: false },
          }
        : this.snapshot.members;
    this.update({
      ...this.snapshot,
      presence: {
        ...this.snapshot.presence,
        [roomId]: { ...this.snapshot.presence[roomId], [userId]: { online, displayName } },
      },
      members,
    });
  }

  private onReadMarker(raw: unknown): void {
    const parsed = readMarkerEventSchema.safeParse(raw);
    if (!parsed.success) return;
    const { roomId, userId, seq } = parsed.data;
    if (userId === this.deps.me.id) {
      // Read on another device: the badge clears here too.
      if (seq > (this.marked.get(roomId) ?? -1)) this.marked.set(roomId, seq);
      this.setList(markerMoved(this.snapshot.list, roomId, seq));
      return;
    }
    const readers = this.snapshot.readers[roomId] ?? {};
    if (seq <= (readers[userId] ?? -1)) return;
    this.update({ ...this.snapshot, readers: { ...this.snapshot.readers, [roomId]: { ...readers, [userId]: seq } } });
  }

  private onMembership(raw: unknown): void {
    const parsed = membershipEventSchema.safeParse(raw);
    if (!parsed.success) return;
    if (parsed.data.member) {
      this.addRoom(parsed.data.roomId);
      this.scheduleReload();
      return;
    }
    this.forget(parsed.data.roomId);
    this.deps.onRoomGone(parsed.data.roomId);
  }

  /** The room leaves the list and everything shown about it goes. */
  private forget(roomId: string): void {
    const { [roomId]: _typing, ...typing } = this.snapshot.typing;
    const { [roomId]: _members, ...members } = this.snapshot.members;
    this.marked.delete(roomId);
    this.pendingMarks.delete(roomId);
    this.update({ ...this.snapshot, typing, members, list: roomRemoved(this.snapshot.list, roomId, this.now()) });
  }

  private async emitLeave(roomId: string): Promise<void> {
    const socket = this.socket;
    if (!socket?.connected) return;
    try {
      const ack = leaveRoomAckSchema.safeParse(
        await socket.timeout(this.ackTimeoutMs).emitWithAck('leaveRoom', { roomId }),
      );
      if (!ack.success) return;
      const retryIn = retryDelayMs(ack.data);
      // Left, or refused for good: nothing more to send. Refused for now: again after the wait.
      if (retryIn === undefined) this.leaving.delete(roomId);
      else setTimeout(() => void this.emitLeave(roomId), retryIn);
    } catch {
      // No answer: sent again on the next connect.
    }
  }

  private async emitMark(roomId: string): Promise<void> {
    const socket = this.socket;
    const seq = this.marked.get(roomId);
    if (!socket?.connected || seq === undefined) return;
    try {
      const ack = markReadAckSchema.safeParse(
        await socket.timeout(this.ackTimeoutMs).emitWithAck('markRead', { roomId, seq }),
      );
      if (!ack.success || this.marked.get(roomId) !== seq) return;
      const retryIn = retryDelayMs(ack.data);
      if (retryIn === undefined) this.pendingMarks.delete(roomId);
      else setTimeout(() => void this.emitMark(roomId), retryIn);
    } catch {
      // No answer: sent again on the next connect.
    }
  }

  private setTyping(typing: TypingByRoom): void {
    if (typing === this.snapshot.typing) return;
    this.update({ ...this.snapshot, typing });
    clearTimeout(this.typingTimer);
    const next = nextTypingExpiry(typing);
    if (next === undefined) return;
    this.typingTimer = setTimeout(
      () => this.setTyping(typingExpired(this.snapshot.typing, this.now())),
      Math.max(0, next - this.now()) + 10,
    );
  }

  private setList(list: RoomList): void {
    if (list !== this.snapshot.list) this.update({ ...this.snapshot, list });
  }

  private setMembers(roomId: string, state: MembersState): void {
    this.update({ ...this.snapshot, members: { ...this.snapshot.members, [roomId]: state } });
  }

  private httpFailed(err: unknown, token: string): void {
    if (err instanceof ApiError && err.code === 'UNAUTHORIZED') this.deps.onUnauthorized(token);
  }

  private update(next: ActivitySnapshot): void {
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }
}

/** Refusals worth sending again: the server or a limit said "not now", not "never". */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'UPSTREAM_UNAVAILABLE']);

/** How long to wait before sending a refused request again, or undefined when its answer is final. */
export function retryDelayMs(ack: { ok: true } | AckError): number | undefined {
  if (ack.ok || !TRANSIENT_CODES.has(ack.error.code)) return undefined;
  return Math.max(1, ack.error.retryAfterSec ?? 2) * 1000;
}
