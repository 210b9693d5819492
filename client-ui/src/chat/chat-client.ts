import {
  HISTORY_LIMIT_MAX,
  joinRoomAckSchema,
  messageAckSchema,
  messageSchema,
  sendMessageAckSchema,
  SOCKET_PATH,
  UNAUTHORIZED_CONNECT_ERROR,
  type ClientToServerEvents,
  type ErrorCode,
  type HistoryResponse,
  type PublicUser,
  type ReplyTo,
  type ServerToClientEvents,
} from '@chat/contracts';
import { io, type Socket } from 'socket.io-client';
import { ApiError } from '../api/http.js';
import type { HistoryCursor } from '../api/history.js';
import { eventSeq } from '../messages/apply-update.js';
import {
  changesReducer,
  type ChangeRequest,
  type ChangesAction,
  type PendingChange,
} from '../messages/pending-changes.js';
import { emptyTimeline, oldestSeq, timelineReducer, type Timeline, type TimelineAction } from '../messages/timeline.js';
import { newClientMsgId } from './client-msg-id.js';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface RoomState {
  timeline: Timeline;
  /** First history page in flight. */
  loading: boolean;
  loadingOlder: boolean;
  /** The room cannot be used (e.g. a direct room of other people): shown instead of messages. */
  fatalError: string | undefined;
  /** Earlier messages could not be loaded; live ones still arrive. */
  historyFailed: boolean;
  unread: number;
  /** Own edits, deletes and reactions not confirmed yet (shown at once), or failed. */
  changes: readonly PendingChange[];
}

export interface ChatSnapshot {
  status: ConnectionStatus;
  rooms: Readonly<Record<string, RoomState>>;
  /** The latest message from someone else in the active room, for the screen-reader live region. */
  announcement: { id: string; text: string } | undefined;
}

export interface ChatClientDeps {
  token: string;
  me: PublicUser;
  history: (roomId: string, cursor: HistoryCursor, limit?: number) => Promise<HistoryResponse>;
  /** The token was refused: the app goes back to the login screen. */
  onUnauthorized: () => void;
  createSocket?: (token: string) => ChatSocket;
  newClientMsgId?: () => string;
  /** How long to wait for a send or join acknowledgement. */
  ackTimeoutMs?: number;
  /** Pause before trying a join again after a transient failure. */
  rejoinDelayMs?: number;
  /** How long a hole in a room's live seqs may stay open before the room is resynced. */
  gapGraceMs?: number;
  isOnline?: () => boolean;
}

/** The production socket: websocket only, token in the handshake, quick reconnects. */
export function createBrowserSocket(token: string): ChatSocket {
  return io({
    path: SOCKET_PATH,
    transports: ['websocket'],
    auth: { token },
    autoConnect: false,
    // Own manager per client: a new login never shares a connection with the last one.
    forceNew: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
}

const emptyRoom: RoomState = {
  timeline: emptyTimeline,
  loading: true,
  loadingOlder: false,
  fatalError: undefined,
  historyFailed: false,
  unread: 0,
  changes: [],
};

/** Refusals (of a join or a history read) that retrying cannot change: the room shows the error. */
const REFUSALS = new Set<ErrorCode>(['FORBIDDEN', 'INVALID', 'NOT_FOUND', 'UNAUTHORIZED']);

/** Bound on one catch-up after a rejoin (5000 messages); a longer absence is what a reload is for. */
const MAX_CATCH_UP_PAGES = 50;

/** Bound on paging back to a reply's original (20 pages of scroll-back). */
const MAX_JUMP_PAGES = 20;

/**
 * Owns the socket and every open room's state; React reads it through `subscribe` and
 * `getSnapshot`. All message-list rules live in the timeline reducer.
 */
export class ChatClient {
  private snapshot: ChatSnapshot = { status: 'connecting', rooms: {}, announcement: undefined };
  private readonly listeners = new Set<() => void>();
  private socket: ChatSocket | undefined;
  private everConnected = false;
  private activeRoomId: string | undefined;
  /** Rooms this socket connection has joined; cleared on every disconnect. */
  private joined = new Set<string>();
  private readonly ackTimeoutMs: number;
  private readonly rejoinDelayMs: number;
  private readonly gapGraceMs: number;
  private readonly newId: () => string;
  private readonly isOnline: () => boolean;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectDelayMs = 500;
  /** Each room's scroll-back page in flight, so callers can wait for it rather than ask twice. */
  private readonly olderPages = new Map<string, Promise<void>>();

  constructor(private readonly deps: ChatClientDeps) {
    this.ackTimeoutMs = deps.ackTimeoutMs ?? 15_000;
    this.rejoinDelayMs = deps.rejoinDelayMs ?? 2_000;
    this.gapGraceMs = deps.gapGraceMs ?? 2_000;
    this.newId = deps.newClientMsgId ?? newClientMsgId;
    this.isOnline = deps.isOnline ?? (() => navigator.onLine);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ChatSnapshot => this.snapshot;

  start(): void {
    const socket = (this.deps.createSocket ?? createBrowserSocket)(this.deps.token);
    this.socket = socket;
    socket.on('connect', () => this.onConnect());
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
    socket.on('connect_error', (err) => this.onConnectError(err));
    socket.on('receiveMessage', (raw) => this.onReceive(raw));
    socket.on('messageUpdated', (raw) => this.onUpdated(raw));
    socket.on('serverShutdown', (info) => {
      // The node is draining and will drop us; come back after the pause it asks for.
      if (typeof info?.reconnectInMs === 'number') this.reconnectDelayMs = Math.min(info.reconnectInMs, 10_000);
    });
    socket.io.on('reconnect_attempt', () => this.refreshStatus());
    window.addEventListener('online', this.onNetworkChange);
    window.addEventListener('offline', this.onNetworkChange);
    socket.connect();
  }

  stop(): void {
    clearTimeout(this.reconnectTimer);
    window.removeEventListener('online', this.onNetworkChange);
    window.removeEventListener('offline', this.onNetworkChange);
    this.socket?.removeAllListeners();
    this.socket?.io.removeAllListeners();
    this.socket?.disconnect();
    this.socket = undefined;
    this.joined.clear();
  }

  /** Load a room's newest page, then join it from there; no-op if already open. */
  async openRoom(roomId: string): Promise<void> {
    if (this.snapshot.rooms[roomId]) return;
    this.update({ ...this.snapshot, rooms: { ...this.snapshot.rooms, [roomId]: emptyRoom } });
    await this.loadNewest(roomId);
  }

  /** Retry loading the newest page after a failure. */
  async reloadRoom(roomId: string): Promise<void> {
    this.setRoom(roomId, (r) => ({ ...r, loading: true, fatalError: undefined, historyFailed: false }));
    await this.loadNewest(roomId);
  }

  closeRoom(roomId: string): void {
    if (this.joined.delete(roomId)) this.socket?.emit('leaveRoom', { roomId }, () => undefined);
    const { [roomId]: _closed, ...rest } = this.snapshot.rooms;
    this.update({ ...this.snapshot, rooms: rest });
  }

  setActiveRoom(roomId: string | undefined): void {
    this.activeRoomId = roomId;
    if (roomId && this.snapshot.rooms[roomId]?.unread) this.setRoom(roomId, (r) => ({ ...r, unread: 0 }));
  }

  /** Scroll-back: the page before the oldest message held (the one in flight, if any). */
  loadOlder(roomId: string): Promise<void> {
    let page = this.olderPages.get(roomId);
    if (!page) {
      page = this.fetchOlder(roomId).finally(() => this.olderPages.delete(roomId));
      this.olderPages.set(roomId, page);
    }
    return page;
  }

  /**
   * Page back until the message at `seq` is loaded (a reply's original), within a bound.
   * True when it is held or proven gone (the pages reached below it).
   */
  async loadBackTo(roomId: string, seq: number): Promise<boolean> {
    for (let page = 0; page <= MAX_JUMP_PAGES; page++) {
      const timeline = this.snapshot.rooms[roomId]?.timeline;
      const oldest = timeline && oldestSeq(timeline);
      if (!timeline || oldest === undefined) return false;
      if (oldest <= seq) return true;
      if (!timeline.hasOlder || page === MAX_JUMP_PAGES) return false;
      await this.loadOlder(roomId);
      // No progress (the page failed): stop rather than spin.
      if (oldestSeq(this.snapshot.rooms[roomId]?.timeline ?? emptyTimeline) === oldest) return false;
    }
    return false;
  }

  private async fetchOlder(roomId: string): Promise<void> {
    const room = this.snapshot.rooms[roomId];
    const before = room && oldestSeq(room.timeline);
    if (!room || room.loadingOlder || !room.timeline.hasOlder || before === undefined) return;
    this.setRoom(roomId, (r) => ({ ...r, loadingOlder: true }));
    try {
      const page = await this.deps.history(roomId, { before });
      this.dispatch(roomId, { type: 'historyPage', ...page, direction: 'older' });
    } catch (err) {
      this.handleHttpError(err);
    } finally {
      this.setRoom(roomId, (r) => ({ ...r, loadingOlder: false }));
    }
  }

  /** Show the message at once as pending and send it (now, or as soon as connected); `replyTo` quotes another. */
  send(roomId: string, text: string, replyTo?: ReplyTo): void {
    const clientMsgId = this.newId();
    const { id: senderId, displayName: senderName } = this.deps.me;
    const createdAt = new Date().toISOString();
    const message = { clientMsgId, roomId, text, senderId, senderName, createdAt, ...(replyTo && { replyTo }) };
    this.dispatch(roomId, { type: 'pending', message });
    this.transmit(roomId, clientMsgId, text, replyTo?.id);
  }

  /** Edit, delete or react: shown at once and sent; a failure rolls it back and keeps it, with its reason, for a retry. */
  change(roomId: string, messageId: string, request: ChangeRequest): void {
    const id = this.newId();
    this.dispatchChange(roomId, { type: 'start', change: { ...request, id, messageId } });
    void this.emitChange(roomId, id);
  }

  /** Resend a failed change under its own clientMsgId: the server applies it once. */
  retryChange(roomId: string, id: string): void {
    this.dispatchChange(roomId, { type: 'retry', id });
    void this.emitChange(roomId, id);
  }

  dismissChange(roomId: string, id: string): void {
    this.dispatchChange(roomId, { type: 'dismiss', id });
  }

  /** Resend a failed message under the same clientMsgId, so the server stores it at most once. */
  retry(roomId: string, clientMsgId: string): void {
    const outgoing = this.snapshot.rooms[roomId]?.timeline.outbox.find((o) => o.clientMsgId === clientMsgId);
    if (!outgoing || outgoing.status !== 'failed') return;
    this.dispatch(roomId, { type: 'retry', clientMsgId });
    this.transmit(roomId, clientMsgId, outgoing.text, outgoing.replyTo?.id);
  }

  // ---- internals ----

  private async loadNewest(roomId: string): Promise<void> {
    try {
      const page = await this.deps.history(roomId, {});
      this.dispatch(roomId, { type: 'historyPage', ...page, direction: 'older' });
    } catch (err) {
      this.handleHttpError(err);
      if (err instanceof ApiError && REFUSALS.has(err.code)) {
        this.setRoom(roomId, (r) => ({ ...r, loading: false, fatalError: err.message }));
        return;
      }
      this.setRoom(roomId, (r) => ({ ...r, historyFailed: true }));
    }
    this.setRoom(roomId, (r) => ({ ...r, loading: false }));
    if (this.socket?.connected) void this.join(roomId);
  }

  /** Join (or rejoin) from the last seq held; merge what was missed and page the rest. */
  private async join(roomId: string): Promise<void> {
    const socket = this.socket;
    const room = this.snapshot.rooms[roomId];
    if (!socket || !room || room.fatalError || this.joined.has(roomId)) return;
    this.joined.add(roomId);
    // After a successful history load (even an empty one) resume from what it held, so the
    // missed batch covers messages not yet persisted; without history, just start live.
    const sinceSeq = room.timeline.lastSeq ?? (room.historyFailed ? undefined : 0);
    const outcome = await this.joinFrom(socket, roomId, sinceSeq);
    if (outcome === 'retry') this.retryJoin(roomId);
    if (outcome === 'refused') this.joined.delete(roomId);
  }

  /** Send joinRoom and merge its missed batch (paging the rest when it is capped). */
  private async joinFrom(
    socket: ChatSocket,
    roomId: string,
    sinceSeq: number | undefined,
  ): Promise<'joined' | 'retry' | 'refused'> {
    let raw: unknown;
    try {
      const payload = sinceSeq === undefined ? { roomId } : { roomId, sinceSeq };
      raw = await socket.timeout(this.ackTimeoutMs).emitWithAck('joinRoom', payload);
    } catch {
      return 'retry';
    }
    const ack = joinRoomAckSchema.safeParse(raw);
    if (!ack.success) return 'retry';
    if (!ack.data.ok) {
      const { code, message } = ack.data.error;
      if (!REFUSALS.has(code)) return 'retry';
      this.setRoom(roomId, (r) => ({ ...r, fatalError: message }));
      return 'refused';
    }
    if (sinceSeq === undefined) this.dispatch(roomId, { type: 'joined', lastSeq: ack.data.room.lastSeq });
    this.dispatch(roomId, { type: 'missedBatch', messages: ack.data.missed });
    // Capped batch (oldest first): page the rest from history, after the last one it held.
    if (ack.data.hasMore && sinceSeq !== undefined) await this.catchUp(roomId, ack.data.missed.at(-1)?.seq ?? sinceSeq);
    return 'joined';
  }

  /** A live message or an own ack: merged, and a watch opened if it skipped seqs. */
  private dispatchConfirmed(roomId: string, action: Extract<TimelineAction, { type: 'live' | 'ackOk' }>): void {
    const lastSeq = this.snapshot.rooms[roomId]?.timeline.lastSeq;
    this.dispatch(roomId, action);
    const seq = eventSeq(action.message);
    if (lastSeq !== undefined && seq > lastSeq + 1) this.watchGap(roomId, lastSeq, seq);
  }

  /**
   * A live message (or an own ack) skipped seqs after `from`. Broadcasts from two nodes can arrive out of
   * order, so give the hole a moment (jittered: every member of the room sees the same hole);
   * if it is still open, rejoin from before it and let the missed batch fill it (e.g.
   * broadcasts lost while a node's Redis adapter resubscribed, with this socket up all along).
   * Seqs can also be skipped for good (a send that failed, a counter raised after a Redis
   * restart): one resync per hole, then it is left.
   */
  private watchGap(roomId: string, from: number, to: number): void {
    const socket = this.socket;
    setTimeout(
      () => {
        const room = this.snapshot.rooms[roomId];
        if (!room || !socket || socket !== this.socket) return; // stopped, or the room closed
        // A reconnect's rejoin starts after the last seq held, above the hole: keep watching.
        if (!socket.connected) return this.watchGap(roomId, from, to);
        // A change fills the hole at its version (only its latest one is known: an earlier is one extra resync).
        const inHole = (s: number) => s > from && s < to;
        const held = room.timeline.messages.filter((m) => inHole(m.seq) || inHole(m.version)).length;
        if (held < to - from - 1) void this.resync(socket, roomId, from);
      },
      this.gapGraceMs * (1 + Math.random()),
    );
  }

  /** Rejoin from `from`; a failed join left the room on the server, so retry until it answers. */
  private async resync(socket: ChatSocket, roomId: string, from: number): Promise<void> {
    const outcome = await this.joinFrom(socket, roomId, from);
    if (outcome === 'refused') this.joined.delete(roomId);
    if (outcome !== 'retry') return;
    setTimeout(() => {
      if (socket === this.socket && socket.connected && this.snapshot.rooms[roomId])
        void this.resync(socket, roomId, from);
    }, this.rejoinDelayMs);
  }

  /** A join that got no answer or a transient error: try again shortly, on this connection. */
  private retryJoin(roomId: string): void {
    this.joined.delete(roomId);
    const socket = this.socket;
    setTimeout(() => {
      if (socket === this.socket && socket?.connected) void this.join(roomId);
    }, this.rejoinDelayMs);
  }

  /** Page everything after `from` from history (newer pages) until there is no more. */
  private async catchUp(roomId: string, from: number): Promise<void> {
    let after = from;
    try {
      for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
        const res = await this.deps.history(roomId, { after }, HISTORY_LIMIT_MAX);
        this.dispatch(roomId, { type: 'historyPage', ...res, direction: 'newer' });
        const last = res.messages.at(-1);
        if (!res.hasMore || !last) return;
        after = last.seq;
      }
    } catch (err) {
      this.handleHttpError(err);
    }
  }

  /**
   * Emit while connected. Offline, the message just stays pending: every connect sends all
   * pending messages (under their own clientMsgId, so one whose ack was lost is not doubled).
   */
  private transmit(roomId: string, clientMsgId: string, text: string, replyToId: string | undefined): void {
    if (this.socket?.connected) void this.emitSend(roomId, clientMsgId, text, replyToId);
  }

  private async emitSend(
    roomId: string,
    clientMsgId: string,
    text: string,
    replyToId: string | undefined,
  ): Promise<void> {
    let error = 'Not sent.';
    try {
      const raw: unknown = await this.socket
        ?.timeout(this.ackTimeoutMs)
        .emitWithAck('sendMessage', { roomId, clientMsgId, text, ...(replyToId && { replyToId }) });
      const ack = sendMessageAckSchema.safeParse(raw);
      if (ack.success && ack.data.ok) {
        this.dispatchConfirmed(roomId, { type: 'ackOk', clientMsgId, message: ack.data.message });
        return;
      }
      if (ack.success && !ack.data.ok) error = ack.data.error.message;
    } catch {
      error = 'No answer from the server.';
    }
    this.dispatch(roomId, { type: 'ackFailed', clientMsgId, error });
  }

  private onConnect(): void {
    this.everConnected = true;
    this.reconnectDelayMs = 500;
    this.refreshStatus();
    for (const [roomId, room] of Object.entries(this.snapshot.rooms)) {
      if (!room.loading) void this.join(roomId);
    }
    for (const room of Object.values(this.snapshot.rooms)) {
      for (const o of room.timeline.outbox) {
        if (o.status === 'pending') void this.emitSend(o.roomId, o.clientMsgId, o.text, o.replyTo?.id);
      }
    }
  }

  private onDisconnect(reason: string): void {
    this.joined.clear();
    this.refreshStatus();
    // A server-side disconnect is not retried by socket.io itself.
    if (reason === 'io server disconnect') this.scheduleReconnect();
  }

  private onConnectError(err: Error): void {
    if (err.message === UNAUTHORIZED_CONNECT_ERROR) {
      this.deps.onUnauthorized();
      return;
    }
    this.refreshStatus();
    // Refused by a server middleware for another reason: socket.io does not retry those.
    if (this.socket && !this.socket.active) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    const delay = this.reconnectDelayMs * (0.5 + Math.random());
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 10_000);
    this.reconnectTimer = setTimeout(() => this.socket?.connect(), delay);
    this.refreshStatus();
  }

  private readonly onNetworkChange = (): void => {
    if (this.isOnline() && this.socket && !this.socket.connected && !this.socket.active) this.socket.connect();
    this.refreshStatus();
  };

  private onReceive(raw: unknown): void {
    const parsed = messageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    if (!this.snapshot.rooms[message.roomId]) return;
    this.dispatchConfirmed(message.roomId, { type: 'live', message });
    if (message.senderId === this.deps.me.id) return;
    if (message.roomId === this.activeRoomId) {
      this.update({
        ...this.snapshot,
        announcement: { id: message.id, text: `${message.senderName}: ${message.text}` },
      });
    } else {
      this.setRoom(message.roomId, (r) => ({ ...r, unread: r.unread + 1 }));
    }
  }

  /** An edit, delete or reaction by anyone: the current state of a message, kept if newer than the copy held. */
  private onUpdated(raw: unknown): void {
    const parsed = messageSchema.safeParse(raw);
    if (!parsed.success || !this.snapshot.rooms[parsed.data.roomId]) return;
    this.dispatchConfirmed(parsed.data.roomId, { type: 'live', message: parsed.data });
  }

  /** Send one own change; its ack carries the message's new state. */
  private async emitChange(roomId: string, id: string): Promise<void> {
    const change = this.snapshot.rooms[roomId]?.changes.find((c) => c.id === id);
    const socket = this.socket;
    if (!change || change.status !== 'pending') return;
    if (!socket?.connected) {
      this.dispatchChange(roomId, { type: 'failed', id, error: 'Not connected.', retryable: true });
      return;
    }
    const { messageId } = change;
    const emit = socket.timeout(this.ackTimeoutMs);
    let failure = { error: 'Not saved.', retryable: true };
    try {
      const raw: unknown = await (change.kind === 'edit'
        ? emit.emitWithAck('editMessage', { roomId, messageId, text: change.text, clientMsgId: id })
        : change.kind === 'delete'
          ? emit.emitWithAck('deleteMessage', { roomId, messageId, clientMsgId: id })
          : emit.emitWithAck('react', { roomId, messageId, emoji: change.emoji, add: change.add, clientMsgId: id }));
      const ack = messageAckSchema.safeParse(raw);
      if (ack.success && ack.data.ok) {
        this.dispatchConfirmed(roomId, { type: 'live', message: ack.data.message });
        this.dispatchChange(roomId, { type: 'confirmed', id });
        return;
      }
      if (ack.success && !ack.data.ok) {
        failure = { error: ack.data.error.message, retryable: !REFUSALS.has(ack.data.error.code) };
      }
    } catch {
      failure = { error: 'No answer from the server.', retryable: true };
    }
    this.dispatchChange(roomId, { type: 'failed', id, ...failure });
  }

  private dispatchChange(roomId: string, action: ChangesAction): void {
    this.setRoom(roomId, (r) => {
      const changes = changesReducer(r.changes, action);
      return changes === r.changes ? r : { ...r, changes };
    });
  }

  private handleHttpError(err: unknown): void {
    if (err instanceof ApiError && err.code === 'UNAUTHORIZED') this.deps.onUnauthorized();
  }

  private refreshStatus(): void {
    const status: ConnectionStatus = this.socket?.connected
      ? 'connected'
      : !this.isOnline()
        ? 'offline'
        : this.everConnected
          ? 'reconnecting'
          : 'connecting';
    if (status !== this.snapshot.status) this.update({ ...this.snapshot, status });
  }

  private dispatch(roomId: string, action: TimelineAction): void {
    this.setRoom(roomId, (r) => {
      const timeline = timelineReducer(r.timeline, action);
      return timeline === r.timeline ? r : { ...r, timeline };
    });
  }

  /** Change one open room; ignored if the room was closed meanwhile. */
  private setRoom(roomId: string, change: (room: RoomState) => RoomState): void {
    const current = this.snapshot.rooms[roomId];
    if (!current) return;
    const next = change(current);
    if (next !== current) this.update({ ...this.snapshot, rooms: { ...this.snapshot.rooms, [roomId]: next } });
  }

  private update(next: ChatSnapshot): void {
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }
}
