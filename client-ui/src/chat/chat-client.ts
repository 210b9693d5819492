import {
  HISTORY_LIMIT_MAX,
  joinRoomAckSchema,
  messageAckSchema,
  messageSchema,
  sendMessageAckSchema,
  SOCKET_PATH,
  UNAUTHORIZED_CONNECT_ERROR,
  type ClientToServerEvents,
  type Attachment,
  type ErrorCode,
  type HistoryResponse,
  type Message,
  type PublicUser,
  type ReplyTo,
  type ServerToClientEvents,
} from '@chat/contracts';
import { io, type Socket } from 'socket.io-client';
import { ApiError } from '../api/http.js';
import type { HistoryCursor } from '../api/history.js';
import { DraftStore } from '../messages/draft-store.js';
import { loadOutbox, saveOutbox } from '../messages/outbox-store.js';
import {
  changesReducer,
  type ChangeRequest,
  type ChangesAction,
  type PendingChange,
} from '../messages/pending-changes.js';
import {
  emptyTimeline,
  oldestSeq,
  timelineReducer,
  type OutgoingMessage,
  type Timeline,
  type TimelineAction,
} from '../messages/timeline.js';
import { jumpPlan } from '../messages/jump-window.js';
import { newClientMsgId } from './client-msg-id.js';
import { ConnectionProbe } from './connection-probe.js';

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
  /** Own edits, deletes and reactions not confirmed yet (shown at once), or failed. */
  changes: readonly PendingChange[];
}

export interface ChatSnapshot {
  status: ConnectionStatus;
  rooms: Readonly<Record<string, RoomState>>;
  /** The latest message from someone else in the active room, for the screen-reader live region. */
  announcement: { id: string; text: string } | undefined;
  /**
   * The server's send limit was reached: until this time (epoch ms) sends wait, pending, and
   * then go out by themselves in the order they were written.
   */
  sendsHeldUntil: number | undefined;
}

export interface ChatClientDeps {
  token: string;
  me: PublicUser;
  history: (roomId: string, cursor: HistoryCursor, limit?: number) => Promise<HistoryResponse>;
  /** A server refused `token`: the app refreshes it (or, when the session is over, signs out). */
  onUnauthorized: (token: string) => void;
  /** The chat server says the socket's token expires soon: the app refreshes it. */
  onTokenExpiring?: () => void;
  /** Where drafts and the outbox are kept (localStorage by default). */
  storage?: Storage;
  createSocket?: (token: string) => ChatSocket;
  newClientMsgId?: () => string;
  /** How long to wait for a send or join acknowledgement. */
  ackTimeoutMs?: number;
  /** Pause before trying a join again after a transient failure. */
  rejoinDelayMs?: number;
  /** How long a hole in a room's live seqs may stay open before the room is resynced. */
  gapGraceMs?: number;
  /** How often a connected socket proves it is alive (an ack round trip). */
  probeIntervalMs?: number;
  /** A probe unanswered this long shows "Reconnecting…"… */
  stallAfterMs?: number;
  /** …and this long drops the connection for a fresh one. */
  deadAfterMs?: number;
  isOnline?: () => boolean;
  now?: () => number;
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
  changes: [],
};

/** Refusals (of a join or a history read) that retrying cannot change: the room shows the error. */
const REFUSALS = new Set<ErrorCode>(['FORBIDDEN', 'INVALID', 'NOT_FOUND', 'UNAUTHORIZED']);

/** How long sends wait after RATE_LIMITED when the server named no wait. */
const DEFAULT_HOLD_SEC = 5;

/** Bound on one catch-up after a rejoin (5000 messages); a longer absence is what a reload is for. */
const MAX_CATCH_UP_PAGES = 50;

/** Bound on paging back to a reply's original (20 pages of scroll-back). */
const MAX_JUMP_PAGES = 20;

/**
 * Owns the socket and every open room's state; React reads it through `subscribe` and
 * `getSnapshot`. All message-list rules live in the timeline reducer.
 */
export class ChatClient {
  private snapshot: ChatSnapshot = {
    status: 'connecting',
    rooms: {},
    announcement: undefined,
    sendsHeldUntil: undefined,
  };
  private readonly listeners = new Set<() => void>();
  private readonly messageListeners = new Set<(message: Message) => void>();
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
  private readonly now: () => number;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectDelayMs = 500;
  private token: string;
  /** Drafts per room; the composer reads and writes them. */
  readonly drafts: DraftStore;
  /** Kept outbox entries of rooms not opened yet (after a reload), by room. */
  private readonly unrestored = new Map<string, OutgoingMessage[]>();
  /** The latest send attempt per clientMsgId: an older attempt's failure is not reported. */
  private readonly attempts = new Map<string, object>();
  /** Sends go out one by one, in order (after a reconnect, a reload or a rate limit). */
  private flushing = false;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  /** Rooms with a gap watch running. */
  private readonly watching = new Set<string>();
  /** The watermark each room was last resynced from after a gap. */
  private readonly resyncedFrom = new Map<string, number>();
  private readonly probe: ConnectionProbe;
  /** Stopped (signed out or unmounted): late answers no longer touch storage. */
  private stopped = false;
  /** Each room's scroll-back page in flight, so callers can wait for it rather than ask twice. */
  private readonly olderPages = new Map<string, Promise<void>>();

  constructor(private readonly deps: ChatClientDeps) {
    this.ackTimeoutMs = deps.ackTimeoutMs ?? 15_000;
    this.rejoinDelayMs = deps.rejoinDelayMs ?? 2_000;
    this.gapGraceMs = deps.gapGraceMs ?? 2_000;
    this.newId = deps.newClientMsgId ?? newClientMsgId;
    this.isOnline = deps.isOnline ?? (() => navigator.onLine);
    this.now = deps.now ?? Date.now;
    this.token = deps.token;
    this.drafts = new DraftStore(deps.me.id, deps.storage);
    for (const o of loadOutbox(deps.me.id, deps.storage)) {
      this.unrestored.set(o.roomId, [...(this.unrestored.get(o.roomId) ?? []), o]);
    }
    this.probe = new ConnectionProbe({
      intervalMs: deps.probeIntervalMs ?? 15_000,
      stallAfterMs: deps.stallAfterMs ?? 2_000,
      deadAfterMs: deps.deadAfterMs ?? 8_000,
      onStalledChange: () => this.refreshStatus(),
      onDead: () => this.replaceConnection(),
    });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ChatSnapshot => this.snapshot;

  /** Every new message broadcast to this user (any room, own ones too), e.g. for notifications. */
  onMessage(listener: (message: Message) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  start(): void {
    // React's StrictMode (development) starts, stops and starts again the same client.
    this.stopped = false;
    const socket = (this.deps.createSocket ?? createBrowserSocket)(this.deps.token);
    this.socket = socket;
    socket.on('connect', () => this.onConnect());
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
    socket.on('connect_error', (err) => this.onConnectError(err));
    socket.on('receiveMessage', (raw) => this.onReceive(raw));
    socket.on('tokenExpiring', () => this.deps.onTokenExpiring?.());
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
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.holdTimer);
    this.probe.detach();
    window.removeEventListener('online', this.onNetworkChange);
    window.removeEventListener('offline', this.onNetworkChange);
    this.socket?.removeAllListeners();
    this.socket?.io.removeAllListeners();
    this.socket?.disconnect();
    this.socket = undefined;
    this.joined.clear();
  }

  /**
   * The session's token was refreshed: the live socket gets it (`refreshToken`, so the server
   * does not cut it at the old token's expiry), and every later handshake uses it. A socket
   * that was refused for its old token connects again with the new one.
   */
  updateToken(token: string): void {
    if (token === this.token) return;
    this.token = token;
    const socket = this.socket;
    if (!socket) return;
    socket.auth = { token };
    if (socket.connected) {
      // Whatever the answer: if the server did not take it, its disconnect at the old token's
      // expiry brings a reconnect, and the handshake carries the new token.
      void socket
        .timeout(this.ackTimeoutMs)
        .emitWithAck('refreshToken', { token })
        .catch(() => undefined);
    } else if (!socket.active) {
      socket.connect();
    }
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

  /** Forget an open room (left, here or elsewhere: ending the membership is RoomActivity's `leave`). */
  closeRoom(roomId: string): void {
    this.joined.delete(roomId);
    this.unrestored.delete(roomId);
    this.drafts.set(roomId, '');
    const { [roomId]: _closed, ...rest } = this.snapshot.rooms;
    this.update({ ...this.snapshot, rooms: rest });
  }

  /** The room on screen: its messages from others are announced to screen readers. */
  setActiveRoom(roomId: string | undefined): void {
    this.activeRoomId = roomId;
  }

  /** Scroll-back: the page before the oldest message held (the one in flight, if any). */
  loadOlder(roomId: string, limit?: number): Promise<void> {
    let page = this.olderPages.get(roomId);
    if (!page) {
      page = this.fetchOlder(roomId, limit).finally(() => this.olderPages.delete(roomId));
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

  /**
   * Page back in big pages until the message at `seq` is held (a search result), within the
   * bound of {@link jumpPlan}. True when it is held or proven gone.
   */
  async loadBackToFar(roomId: string, seq: number): Promise<boolean> {
    for (;;) {
      const timeline = this.snapshot.rooms[roomId]?.timeline;
      if (!timeline) return false;
      const oldest = oldestSeq(timeline);
      const plan = jumpPlan(seq, oldest, timeline.hasOlder);
      if (plan.kind === 'held') return true;
      if (plan.kind === 'unreachable') return oldest !== undefined && !timeline.hasOlder;
      await this.loadOlder(roomId, plan.limit);
      // No progress (the page failed): stop rather than spin.
      if (oldestSeq(this.snapshot.rooms[roomId]?.timeline ?? emptyTimeline) === oldest) return false;
    }
  }

  private async fetchOlder(roomId: string, limit?: number): Promise<void> {
    const room = this.snapshot.rooms[roomId];
    const before = room && oldestSeq(room.timeline);
    if (!room || room.loadingOlder || !room.timeline.hasOlder || before === undefined) return;
    this.setRoom(roomId, (r) => ({ ...r, loadingOlder: true }));
    try {
      const page = await this.deps.history(roomId, { before }, limit);
      this.dispatch(roomId, { type: 'historyPage', ...page, direction: 'older' });
    } catch (err) {
      this.handleHttpError(err);
    } finally {
      this.setRoom(roomId, (r) => ({ ...r, loadingOlder: false }));
    }
  }

  /**
   * Show the message at once as pending and send it (now, or as soon as connected); `replyTo`
   * quotes another; `attachments` are files already uploaded (sent as `attachmentIds`).
   */
  send(roomId: string, text: string, replyTo?: ReplyTo, attachments?: Attachment[]): void {
    const clientMsgId = this.newId();
    const { id: senderId, displayName: senderName } = this.deps.me;
    const createdAt = new Date(this.now()).toISOString();
    this.drafts.set(roomId, '');
    const message = {
      clientMsgId,
      roomId,
      text,
      senderId,
      senderName,
      createdAt,
      ...(replyTo && { replyTo }),
      ...(attachments?.length && { attachments }),
    };
    this.dispatch(roomId, { type: 'pending', message });
    this.transmit(roomId, clientMsgId, text, replyTo?.id, attachmentIds(attachments));
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
    this.transmit(roomId, clientMsgId, outgoing.text, outgoing.replyTo?.id, attachmentIds(outgoing.attachments));
  }

  // ---- internals ----

  private async loadNewest(roomId: string): Promise<void> {
    const kept = this.unrestored.get(roomId);
    if (kept) {
      this.unrestored.delete(roomId);
      this.dispatch(roomId, { type: 'restore', outbox: kept });
    }
    try {
      const page = await this.deps.history(roomId, {});
      this.dispatch(roomId, { type: 'historyPage', ...page, direction: 'older' });
      // The newest page is the room's whole tail as persisted: complete up to its last seq.
      this.dispatch(roomId, { type: 'caughtUp', seq: page.messages.at(-1)?.seq ?? 0 });
    } catch (err) {
      this.handleHttpError(err);
      if (err instanceof ApiError && REFUSALS.has(err.code)) {
        this.setRoom(roomId, (r) => ({ ...r, loading: false, fatalError: err.message }));
        return;
      }
      this.setRoom(roomId, (r) => ({ ...r, historyFailed: true }));
    }
    this.setRoom(roomId, (r) => ({ ...r, loading: false }));
    if (this.socket?.connected) {
      void this.join(roomId);
      void this.flushPending();
    }
  }

  /** Join (or rejoin) from the last seq held; merge what was missed and page the rest. */
  private async join(roomId: string): Promise<void> {
    const socket = this.socket;
    const room = this.snapshot.rooms[roomId];
    if (!socket || !room || room.fatalError || this.joined.has(roomId)) return;
    this.joined.add(roomId);
    // Resume from what is known complete, so the missed batch covers messages not yet
    // persisted and any hole still open; without history, just start live.
    const sinceSeq = room.timeline.watermark;
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
    const { room, missed, hasMore } = ack.data;
    this.dispatch(roomId, { type: 'missedBatch', messages: missed });
    if (sinceSeq === undefined || !hasMore) {
      // A complete answer: whatever seq up to the room's last is not held does not exist
      // (or is still on its way here live, as this socket is now in the room).
      this.dispatch(roomId, { type: 'caughtUp', seq: Math.max(room.lastSeq, sinceSeq ?? 0) });
    } else {
      // The server could not prove the batch complete (capped, or persistence behind its
      // recent buffer): page history from our own watermark until it is.
      const through = await this.catchUp(roomId, sinceSeq);
      if (through !== undefined) this.dispatch(roomId, { type: 'caughtUp', seq: through });
    }
    this.watchIfHoles(roomId);
    return 'joined';
  }

  /** A live message or an own ack: merged, and a watch opened if it skipped seqs. */
  private dispatchConfirmed(roomId: string, action: Extract<TimelineAction, { type: 'live' | 'ackOk' }>): void {
    this.dispatch(roomId, action);
    this.watchIfHoles(roomId);
  }

  /** Watch the room if something above its watermark is held (a hole lies below it). */
  private watchIfHoles(roomId: string): void {
    const t = this.snapshot.rooms[roomId]?.timeline;
    if (t?.watermark !== undefined && t.lastSeq !== undefined && t.lastSeq > t.watermark) this.watchGap(roomId);
  }

  /**
   * A live message (or an own ack) skipped seqs: a hole lies below it. Broadcasts from two
   * nodes can arrive out of order, so give the hole a moment (jittered: every member of the
   * room sees the same hole); if it is still open, rejoin from the watermark and let the
   * missed batch fill it (e.g. broadcasts lost while a node's Redis adapter resubscribed,
   * with this socket up all along). A complete answer explains seqs skipped for good (a send
   * that failed, a counter raised after a Redis restart); an incomplete one is paged from
   * history. One resync per watermark: a hole nothing could fill is left to the next rejoin.
   */
  private watchGap(roomId: string): void {
    if (this.watching.has(roomId)) return;
    this.watching.add(roomId);
    const socket = this.socket;
    const to = this.snapshot.rooms[roomId]?.timeline.lastSeq ?? 0;
    setTimeout(
      () => {
        this.watching.delete(roomId);
        const room = this.snapshot.rooms[roomId];
        if (!room || !socket || socket !== this.socket) return; // stopped, or the room closed
        const { watermark } = room.timeline;
        // Disconnected: the rejoin on reconnect starts from the watermark, below the hole.
        if (!socket.connected || watermark === undefined || watermark >= to) return;
        if (this.resyncedFrom.get(roomId) === watermark) return;
        this.resyncedFrom.set(roomId, watermark);
        void this.resync(socket, roomId, watermark);
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

  /**
   * Page everything after `from` from history (newer pages) until there is no more; answers
   * the seq it proved the room complete up to, or undefined when it could not finish.
   */
  private async catchUp(roomId: string, from: number): Promise<number | undefined> {
    let after = from;
    try {
      for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
        const res = await this.deps.history(roomId, { after }, HISTORY_LIMIT_MAX);
        this.dispatch(roomId, { type: 'historyPage', ...res, direction: 'newer' });
        const last = res.messages.at(-1);
        if (last) after = last.seq;
        if (!res.hasMore || !last) return after;
      }
    } catch (err) {
      this.handleHttpError(err);
    }
    return undefined;
  }

  /**
   * Emit now while connected, unless sends are held by the rate limit or queued ones are
   * going out (then this one joins the queue, keeping the written order). Otherwise the
   * message just stays pending: every connect sends all pending messages, under their own
   * clientMsgId, so one whose ack was lost is not doubled.
   */
  private transmit(
    roomId: string,
    clientMsgId: string,
    text: string,
    replyToId: string | undefined,
    fileIds: string[] | undefined,
  ): void {
    if (this.socket?.connected && this.snapshot.sendsHeldUntil === undefined && !this.flushing) {
      void this.emitSend(roomId, clientMsgId, text, replyToId, fileIds);
    }
  }

  /** Send the pending messages not in flight one by one, oldest first, while nothing holds them. */
  private async flushPending(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let next = this.nextQueued(); next; next = this.nextQueued()) {
        if (!this.socket?.connected || this.snapshot.sendsHeldUntil !== undefined) return;
        const fileIds = attachmentIds(next.attachments);
        if ((await this.emitSend(next.roomId, next.clientMsgId, next.text, next.replyTo?.id, fileIds)) === 'held')
          return;
      }
    } finally {
      this.flushing = false;
    }
  }

  private nextQueued(): OutgoingMessage | undefined {
    const queued = Object.values(this.snapshot.rooms)
      .flatMap((r) => r.timeline.outbox)
      .filter((o) => o.status === 'pending' && !this.attempts.has(o.clientMsgId));
    // Stable sort: same-millisecond sends of a room keep their written order.
    return queued.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))[0];
  }

  /**
   * One attempt. A rate-limited send stays pending and holds every send until the limit
   * allows; a failure is reported only by the latest attempt (after a reconnect, an earlier
   * one times out while its resend decides).
   */
  private async emitSend(
    roomId: string,
    clientMsgId: string,
    text: string,
    replyToId: string | undefined,
    fileIds: string[] | undefined,
  ): Promise<'sent' | 'held' | 'failed'> {
    const attempt = {};
    this.attempts.set(clientMsgId, attempt);
    let error = 'Not sent.';
    try {
      const raw: unknown = await this.socket?.timeout(this.ackTimeoutMs).emitWithAck('sendMessage', {
        roomId,
        clientMsgId,
        text,
        ...(replyToId && { replyToId }),
        ...(fileIds && { attachmentIds: fileIds }),
      });
      const ack = sendMessageAckSchema.safeParse(raw);
      if (ack.success && ack.data.ok) {
        if (this.attempts.get(clientMsgId) === attempt) this.attempts.delete(clientMsgId);
        this.dispatchConfirmed(roomId, { type: 'ackOk', clientMsgId, message: ack.data.message });
        return 'sent';
      }
      const refusal = ack.success && !ack.data.ok ? ack.data.error : undefined;
      if (refusal?.code === 'RATE_LIMITED') {
        if (this.attempts.get(clientMsgId) === attempt) this.attempts.delete(clientMsgId);
        this.holdSends(refusal.retryAfterSec ?? DEFAULT_HOLD_SEC);
        return 'held';
      }
      if (refusal) error = refusal.message;
    } catch {
      error = 'No answer from the server.';
    }
    if (this.attempts.get(clientMsgId) !== attempt) return 'failed';
    this.attempts.delete(clientMsgId);
    this.dispatch(roomId, { type: 'ackFailed', clientMsgId, error });
    return 'failed';
  }

  /** The send limit was reached: hold sends for the wait the server named, then send the queue. */
  private holdSends(retryAfterSec: number): void {
    const until = this.now() + Math.max(1, retryAfterSec) * 1000;
    if (until <= (this.snapshot.sendsHeldUntil ?? 0)) return;
    this.update({ ...this.snapshot, sendsHeldUntil: until });
    clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => {
      this.update({ ...this.snapshot, sendsHeldUntil: undefined });
      void this.flushPending();
    }, until - this.now());
  }

  private onConnect(): void {
    this.everConnected = true;
    this.reconnectDelayMs = 500;
    if (this.socket) this.probe.attach(this.socket);
    this.refreshStatus();
    for (const [roomId, room] of Object.entries(this.snapshot.rooms)) {
      if (!room.loading) void this.join(roomId);
    }
    void this.flushPending();
  }

  private onDisconnect(reason: string): void {
    this.joined.clear();
    // What was in flight is sent again on connect; its old attempt no longer decides.
    this.attempts.clear();
    this.probe.detach();
    this.refreshStatus();
    // A server-side disconnect is not retried by socket.io itself.
    if (reason === 'io server disconnect') this.scheduleReconnect();
  }

  private onConnectError(err: Error): void {
    if (err.message === UNAUTHORIZED_CONNECT_ERROR) {
      this.deps.onUnauthorized(this.token);
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

  /** The browser says the network went or came back: show it at once, and check the socket when back. */
  private readonly onNetworkChange = (): void => {
    const socket = this.socket;
    if (this.isOnline() && socket?.connected) void this.probe.check();
    else if (this.isOnline() && socket && !socket.active) socket.connect();
    this.refreshStatus();
  };

  /** The probe found the connection dead although socket.io still calls it connected: start afresh. */
  private replaceConnection(): void {
    const socket = this.socket;
    if (!socket?.connected) return;
    socket.disconnect();
    socket.connect();
  }

  private onReceive(raw: unknown): void {
    const parsed = messageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    for (const listener of this.messageListeners) listener(message);
    if (!this.snapshot.rooms[message.roomId]) return;
    this.dispatchConfirmed(message.roomId, { type: 'live', message });
    // Unread counts are the room list's (RoomActivity): here only the announcement.
    if (message.senderId !== this.deps.me.id && message.roomId === this.activeRoomId) {
      this.update({
        ...this.snapshot,
        announcement: { id: message.id, text: `${message.senderName}: ${message.text}` },
      });
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
    if (err instanceof ApiError && err.code === 'UNAUTHORIZED') this.deps.onUnauthorized(this.token);
  }

  private refreshStatus(): void {
    // The browser's word on the network first: a socket can claim to be connected for tens of
    // seconds after its network is gone.
    const status: ConnectionStatus = !this.isOnline()
      ? 'offline'
      : this.socket?.connected
        ? this.probe.stalled
          ? 'reconnecting'
          : 'connected'
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
    const previous = this.snapshot;
    this.snapshot = next;
    if (next.rooms !== previous.rooms) this.keepOutbox(previous.rooms, next.rooms);
    for (const listener of this.listeners) listener();
  }

  /** Store the unconfirmed sends when any room's outbox changed, so a reload loses none. */
  private keepOutbox(before: ChatSnapshot['rooms'], after: ChatSnapshot['rooms']): void {
    if (this.stopped) return;
    const ids = new Set([...Object.keys(before), ...Object.keys(after)]);
    if (![...ids].some((id) => before[id]?.timeline.outbox !== after[id]?.timeline.outbox)) return;
    const outbox = [...Object.values(after).flatMap((r) => r.timeline.outbox), ...[...this.unrestored.values()].flat()];
    saveOutbox(this.deps.me.id, outbox, this.deps.storage);
  }
}

/** The ids a send carries for its attachments; none when it has none. */
function attachmentIds(attachments: readonly Attachment[] | undefined): string[] | undefined {
  return attachments?.length ? attachments.map((a) => a.id) : undefined;
}
