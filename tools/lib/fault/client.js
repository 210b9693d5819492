// One chat user of the fault run, behaving as a careful client does (DESIGN.md §3, §4): every
// send is retried with the same clientMsgId until it is acked; after a reconnect it rejoins
// each room with sinceSeq from its own watermark and pages history while hasMore.
import { performance } from 'node:perf_hooks';
import { joinRoom, openSocket } from '../clients.js';
import { fetchHistoryAfter } from '../http.js';

/** Error codes worth a resend: the server could not take the message now (§4.3, §4.1). */
const RETRYABLE = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL']);
const RETRY_BASE_MS = 250;
const RETRY_MAX_MS = 5000;

/**
 * What a client knows of one room: everything up to `confirmedUpTo` (a complete join or
 * resync said so) and the seqs it has seen above that. Its watermark — the highest seq below
 * which nothing is unexplained — is what it rejoins with, so a message that was still on its
 * way when the link dropped is not skipped (DESIGN.md §4 Resync).
 */
class RoomView {
  constructor() {
    this.joinedAt = 0; // the room's lastSeq at the first join: what came after is expected
    this.confirmedUpTo = 0;
    this.seenAbove = new Set();
    this.ids = new Map(); // id -> seq, everything shown to the user
  }

  show(m) {
    this.ids.set(m.id, m.seq);
    if (m.seq > this.confirmedUpTo) this.seenAbove.add(m.seq);
  }

  confirm(upTo) {
    if (upTo <= this.confirmedUpTo) return;
    this.confirmedUpTo = upTo;
    for (const s of this.seenAbove) if (s <= upTo) this.seenAbove.delete(s);
  }

  watermark() {
    let s = this.confirmedUpTo;
    while (this.seenAbove.has(s + 1)) s++;
    return s;
  }
}

export class FaultClient {
  /**
   * @param {object} o
   * @param {number} o.index
   * @param {string} o.url the gateway
   * @param {string} o.token
   * @param {string} o.userId
   * @param {string[]} o.rooms
   * @param {number} o.ackTimeoutMs
   */
  constructor({ index, url, token, userId, rooms, ackTimeoutMs }) {
    Object.assign(this, { index, url, token, userId, ackTimeoutMs });
    this.rooms = new Map(rooms.map((r) => [r, new RoomView()]));
    this.socket = null;
    this.ready = false; // joined (or rejoined) every room since the last connect
    this.pending = new Map(); // clientMsgId -> send state, until acked or refused
    this.timeline = new Map(); // clientMsgId -> {sentAt, ackedAt} (performance.now())
    this.acks = []; // every ok ack, a resend's too
    this.shown = []; // every message shown: {roomId, seq, id, clientMsgId}
    this.liveIds = new Set();
    this.liveDuplicates = [];
    this.counts = { sent: 0, attempts: 0, acked: 0, retries: 0, reconnects: 0, resyncs: 0, resyncErrors: 0 };
    this.errorAnswers = {}; // error code -> answers
    this.refused = {}; // code -> messages given up on (not retryable)
    this.closing = false;
  }

  async start() {
    this.socket = await openSocket(this.url, this.token, 30_000);
    this.socket.on('receiveMessage', (m) => {
      if (!this.rooms.has(m.roomId)) return;
      if (this.liveIds.has(m.id)) this.liveDuplicates.push({ client: this.index, ...m });
      this.liveIds.add(m.id);
      this.show(m);
    });
    this.socket.on('disconnect', (reason) => {
      this.ready = false;
      // A server-side disconnect is not retried by socket.io itself.
      if (!this.closing && reason === 'io server disconnect') this.socket.connect();
    });
    this.socket.on('connect', () => {
      if (this.closing) return;
      this.counts.reconnects++;
      void this.resyncThenFlush();
    });
    for (const [roomId, view] of this.rooms) {
      const ack = await joinRoom(this.socket, roomId, -1, 30_000);
      view.joinedAt = ack.room.lastSeq;
      view.confirm(ack.room.lastSeq);
    }
    this.ready = true;
  }

  show(m) {
    this.shown.push({ roomId: m.roomId, seq: m.seq, id: m.id, clientMsgId: m.clientMsgId });
    this.rooms.get(m.roomId).show(m);
  }

  /** Rejoin every room from its watermark, page what the join could not hold, then resend. */
  async resyncThenFlush() {
    const socket = this.socket;
    try {
      await this.resync();
      if (socket.connected) this.ready = true;
    } catch {
      this.counts.resyncErrors++;
      // The next reconnect tries again; if the link is up, so does this timer.
      setTimeout(() => socket.connected && !this.closing && !this.ready && void this.resyncThenFlush(), 1000);
      return;
    }
    for (const msg of this.pending.values()) this.attempt(msg);
  }

  async resync() {
    this.counts.resyncs++;
    for (const [roomId, view] of this.rooms) {
      const since = view.watermark();
      const ack = await joinRoom(this.socket, roomId, since, 15_000);
      const got = [...ack.missed];
      if (ack.hasMore) {
        const after = got.length > 0 ? got[got.length - 1].seq : since;
        got.push(...(await fetchHistoryAfter(this.url, this.token, roomId, after)));
      }
      for (const m of got) this.show(m);
      // Complete up to the last message it got; not up to room.lastSeq, which may count a
      // message still awaiting its confirm (it comes live, or the next resync finds it).
      if (got.length > 0) view.confirm(Math.max(...got.map((m) => m.seq)));
    }
  }

  /** A new message: sent now, and again with the same clientMsgId until acked. */
  send(roomId, clientMsgId, text) {
    const msg = { roomId, clientMsgId, text, tries: 0, timer: null };
    this.pending.set(clientMsgId, msg);
    this.timeline.set(clientMsgId, { sentAt: performance.now(), ackedAt: null });
    this.counts.sent++;
    this.attempt(msg);
  }

  attempt(msg) {
    clearTimeout(msg.timer);
    msg.timer = null;
    if (!this.pending.has(msg.clientMsgId) || this.closing) return;
    // While the link is down or the rooms are not rejoined yet, the resync flushes it.
    if (!this.ready || !this.socket.connected) return;
    const attemptNo = ++msg.tries;
    this.counts.attempts++;
    const payload = { roomId: msg.roomId, clientMsgId: msg.clientMsgId, text: msg.text };
    this.socket.timeout(this.ackTimeoutMs).emit('sendMessage', payload, (err, ack) => {
      if (ack && ack.ok === true) return this.onAcked(msg, ack.message);
      if (attemptNo !== msg.tries || !this.pending.has(msg.clientMsgId)) return; // superseded
      const code = err ? 'ACK_TIMEOUT' : (ack?.error?.code ?? 'NO_ACK_BODY');
      this.errorAnswers[code] = (this.errorAnswers[code] ?? 0) + 1;
      if (err || RETRYABLE.has(code)) return this.retryLater(msg, ack?.error?.retryAfterSec);
      this.pending.delete(msg.clientMsgId);
      this.refused[code] = (this.refused[code] ?? 0) + 1;
    });
  }

  onAcked(msg, message) {
    this.acks.push({
      roomId: message.roomId,
      seq: message.seq,
      id: message.id,
      clientMsgId: message.clientMsgId,
      senderId: message.senderId,
    });
    if (!this.pending.delete(msg.clientMsgId)) return; // a late ack of an earlier attempt
    clearTimeout(msg.timer);
    this.counts.acked++;
    this.timeline.get(msg.clientMsgId).ackedAt = performance.now();
    this.show(message);
  }

  retryLater(msg, retryAfterSec) {
    this.counts.retries++;
    const backoff = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(msg.tries, 8));
    const delay = retryAfterSec ? retryAfterSec * 1000 : backoff * (0.5 + Math.random() / 2);
    msg.timer = setTimeout(() => this.attempt(msg), delay);
  }

  /** How many messages of its rooms in `stored`, sent after its first join, it was never shown. */
  notShown(stored) {
    return stored.filter((m) => {
      const view = this.rooms.get(m.roomId);
      return view && m.seq > view.joinedAt && !view.ids.has(m.id);
    }).length;
  }

  close() {
    this.closing = true;
    for (const msg of this.pending.values()) clearTimeout(msg.timer);
    this.socket?.close();
  }
}
