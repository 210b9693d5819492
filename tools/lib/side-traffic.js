// Traffic beside the sends of a load run (tools/socket_test.js): room events (--event-share:
// edits and reactions in place of that share of the scheduled sends) and presence chatter
// (--typing-share: those clients send `typing` and move their read marker every
// --typing-interval seconds). Counted here, apart from the sends: a missing ack is counted
// (NO_ACK after ACK_WAIT_MS), never fatal, so a server without the handler yet still runs.
import { newHistogram, summarizeHistogram, tally } from './tracker.js';

/** How long an event waits for its ack before it counts as NO_ACK. */
export const ACK_WAIT_MS = 5000;
/** Emoji the reactions cycle through (a few: most users react with the same ones). */
const EMOJI = ['👍', '❤️', '😂', '🎉'];
/** Recent messages per room that events pick from. */
const RECENT = 16;

/** One kind of side event: how many went out, how they were answered, and how fast. */
class EventTally {
  constructor() {
    this.sent = 0;
    /** Sent and neither answered nor timed out yet. */
    this.pending = 0;
    this.ok = 0;
    this.errorsByCode = {};
    this.hist = newHistogram();
  }

  /** Emit `event` with an ack bounded by ACK_WAIT_MS; `now` is the run's clock (ms). */
  emit(socket, event, payload, now) {
    this.sent++;
    this.pending++;
    const t0 = now();
    socket.timeout(ACK_WAIT_MS).emit(event, payload, (err, ack) => {
      this.pending--;
      if (err) return void tally(this.errorsByCode, 'NO_ACK');
      if (ack && ack.ok === true) {
        this.ok++;
        this.hist.recordValue(Math.max(1, Math.round((now() - t0) * 1000)));
      } else tally(this.errorsByCode, (ack && ack.error && ack.error.code) || 'NO_ACK_BODY');
    });
  }

  report() {
    return { sent: this.sent, ok: this.ok, errorsByCode: this.errorsByCode, ackMs: summarizeHistogram(this.hist) };
  }
}

export class SideTraffic {
  /** `roomIdOf(j)` names room j; `now()` is the run's clock in ms. */
  constructor(opts, roomIdOf, now) {
    this.opts = opts;
    this.roomIdOf = roomIdOf;
    this.now = now;
    this.edits = new EventTally();
    this.reactions = new EventTally();
    this.typing = new EventTally();
    this.markRead = new EventTally();
    /**
     * Per room: its last RECENT acked messages `{id, client}`, a ring (what their senders edit
     * and the members react to: recent ones, not all the newest, which would queue every
     * event of a room on one message's lock).
     */
    this.recent = Array.from({ length: opts.rooms }, () => []);
    this.updatesReceived = 0;
    this.typingReceived = 0;
    this.events = 0;
    /** Event slots with nothing to edit or react to yet. */
    this.skipped = 0;
    this.timers = [];
  }

  get active() {
    return this.opts.eventShare > 0 || this.opts.typingShare > 0;
  }

  /** Whether scheduled operation k is a room event rather than a send (spread evenly). */
  isEvent(k) {
    const share = this.opts.eventShare;
    return share > 0 && Math.floor((k + 1) * share) > Math.floor(k * share);
  }

  /** Listen for what the side traffic makes the server broadcast. */
  wire(socket) {
    socket.on('messageUpdated', () => this.updatesReceived++);
    socket.on('typing', () => this.typingReceived++);
  }

  /** An acked send by client i in room j: the room's newest message to edit and react to. */
  acked(i, j, message) {
    const ring = this.recent[j];
    if (ring.length === RECENT) ring.shift();
    ring.push({ id: message.id, client: i });
  }

  /**
   * Operation k as a room event in room j, on one of its recent messages: every other time an
   * edit by the client that sent it, else a reaction by client i (a member of j).
   */
  event(k, i, sockets, j) {
    const n = this.events++;
    const ring = this.recent[j];
    if (ring.length === 0) return void this.skipped++; // nothing acked in this room yet (the ramp's first moments)
    const target = ring[(n >> 1) % ring.length];
    const roomId = this.roomIdOf(j);
    if (n % 2 === 0 && sockets[target.client]) {
      this.edits.emit(
        sockets[target.client],
        'editMessage',
        { roomId, messageId: target.id, text: `edit ${k}` },
        this.now,
      );
      return;
    }
    const emoji = EMOJI[(n >> 1) % EMOJI.length];
    this.reactions.emit(
      sockets[i],
      'react',
      { roomId, messageId: target.id, emoji, add: (n >> 3) % 2 === 0 },
      this.now,
    );
  }

  /**
   * Every client whose index is a multiple of 1/--typing-share: `typing` in its first room and
   * `markRead` up to the newest seq it has seen there, every --typing-interval s (random phase).
   */
  startPresence(sockets, lastSeqSeen) {
    const share = this.opts.typingShare;
    if (!(share > 0)) return;
    const every = Math.max(1, Math.round(1 / share));
    const intervalMs = this.opts.typingInterval * 1000;
    for (let i = 0; i < sockets.length; i += every) {
      const socket = sockets[i];
      if (!socket) continue;
      const j = i % this.opts.rooms;
      const roomId = this.roomIdOf(j);
      const tick = () => {
        this.typing.emit(socket, 'typing', { roomId, typing: true }, this.now);
        const seq = lastSeqSeen(i, j);
        if (seq >= 0) this.markRead.emit(socket, 'markRead', { roomId, seq }, this.now);
      };
      const start = setTimeout(() => {
        tick();
        this.timers.push(setInterval(tick, intervalMs));
      }, Math.random() * intervalMs);
      this.timers.push(start);
    }
  }

  /** Side events still waiting for their ack (or its timeout). */
  get pending() {
    return this.edits.pending + this.reactions.pending + this.typing.pending + this.markRead.pending;
  }

  stop() {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Null when the run had none of it. */
  report() {
    if (!this.active) return null;
    return {
      eventShare: this.opts.eventShare,
      typingShare: this.opts.typingShare,
      typingIntervalSec: this.opts.typingInterval,
      eventSlots: this.events,
      eventsSkipped: this.skipped,
      edits: this.edits.report(),
      reactions: this.reactions.report(),
      typing: this.typing.report(),
      markRead: this.markRead.report(),
      updatesReceived: this.updatesReceived,
      typingReceived: this.typingReceived,
    };
  }
}
