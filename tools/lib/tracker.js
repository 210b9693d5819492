// Bookkeeping of one run: what was sent and acked, and what each client received. Everything
// is indexed by integers (message k, client i, room j) in typed arrays, so recording a delivery
// allocates nothing; the loss, duplicate and order figures are computed from them at the end.
import hdr from 'hdr-histogram-js';
import { indexAfter } from './ids.js';

export const STATUS = { NONE: 0, SENT: 1, ACKED: 2, ERROR: 3 };

/** Add `n` to `counts[key]` (a plain object of counters by name). */
export function tally(counts, key, n = 1) {
  counts[key] = (counts[key] ?? 0) + n;
}

/** Latencies are recorded in microseconds; reports show milliseconds. */
export function newHistogram() {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** p50/p90/p99/p99.9/max/mean in ms, and the count, of a microsecond histogram. */
export function summarizeHistogram(h) {
  // HDR percentiles are bucket upper bounds; never report one above the exact max.
  const ms = (us) => Math.round(Math.min(us, h.maxValue)) / 1000;
  if (h.totalCount === 0) return { count: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}

/** The wall-clock send time embedded in a text `t=<epoch ms> ...`, or -1. */
export function embeddedSendTime(text) {
  if (typeof text !== 'string' || text.charCodeAt(0) !== 116 /* t */ || text.charCodeAt(1) !== 61 /* = */) return -1;
  let n = 0;
  let i = 2;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return i > 2 ? n : -1;
}

export class RunTracker {
  /**
   * @param {object} p
   * @param {number} p.capacity most messages the run can send
   * @param {number} p.clients socket clients
   * @param {number} p.rooms rooms
   * @param {number} p.roomsPerUser rooms each client joins (see ids.roomsOfClient)
   * @param {string} p.runId clientMsgIds are `<runId>-<k>`
   * @param {string} p.roomPrefix room ids are `<roomPrefix>-<j>`
   * @param {() => number} p.now monotonic clock in ms (performance.now)
   */
  constructor({ capacity, clients, rooms, roomsPerUser, runId, roomPrefix, now }) {
    this.capacity = capacity;
    this.clients = clients;
    this.rooms = rooms;
    this.roomsPerUser = roomsPerUser;
    this.msgPrefix = `${runId}-`;
    this.roomPrefixDash = `${roomPrefix}-`;
    this.now = now;
    // per message
    this.sentCount = 0;
    this.sendAt = new Float64Array(capacity);
    this.ackAt = new Float64Array(capacity);
    this.seqOf = new Float64Array(capacity).fill(-1);
    this.roomOf = new Int32Array(capacity);
    this.senderOf = new Int32Array(capacity);
    this.status = new Uint8Array(capacity);
    this.idOf = new Array(capacity);
    this.deliveriesOf = new Uint32Array(capacity);
    this.lastDeliveryAt = new Float64Array(capacity);
    // per client: a bit per message received, and the last seq seen in each of its rooms
    this.bytesPerClient = Math.ceil(capacity / 8);
    this.receivedBits = new Uint8Array(clients * this.bytesPerClient);
    this.lastSeq = new Float64Array(clients * roomsPerUser).fill(-1);
    /** Whether the client is a joined member of its rooms (failed clients expect nothing). */
    this.member = new Uint8Array(clients);
    // counters
    this.acked = 0;
    this.ackErrors = 0;
    this.errorsByCode = Object.create(null);
    this.delivered = 0;
    this.duplicates = 0;
    this.outOfOrder = 0;
    this.outOfOrderByRoom = new Uint32Array(rooms);
    this.foreign = 0;
    this.notMember = 0;
    this.latencyFallbacks = 0;
    this.ackHist = newHistogram();
    this.deliveryHist = newHistogram();
    this.windowHist = newHistogram();
  }

  clientRoomSlot(i, j) {
    const slot = (((j - i) % this.rooms) + this.rooms) % this.rooms;
    return slot < this.roomsPerUser ? slot : -1;
  }

  recordSend(k, client, room, at) {
    this.sendAt[k] = at;
    this.senderOf[k] = client;
    this.roomOf[k] = room;
    this.status[k] = STATUS.SENT;
    if (k >= this.sentCount) this.sentCount = k + 1;
  }

  /** The sendMessage ack: `{ok:true, message}` or `{ok:false, error:{code}}` (contracts socket.ts). */
  recordAck(k, ack, at) {
    if (this.status[k] !== STATUS.SENT) return; // a late second ack cannot happen; ignore defensively
    if (ack && ack.ok === true && ack.message) {
      this.status[k] = STATUS.ACKED;
      this.ackAt[k] = at;
      this.seqOf[k] = ack.message.seq;
      this.idOf[k] = ack.message.id;
      this.acked++;
      this.ackHist.recordValue(Math.max(1, Math.round((at - this.sendAt[k]) * 1000)));
    } else {
      this.status[k] = STATUS.ERROR;
      this.ackErrors++;
      const code = (ack && ack.error && ack.error.code) || 'NO_ACK_BODY';
      tally(this.errorsByCode, code);
    }
  }

  /** A transport-level failure of one send (timeout, disconnected before the ack). */
  recordSendFailure(k, code) {
    if (this.status[k] !== STATUS.SENT) return;
    this.status[k] = STATUS.ERROR;
    this.ackErrors++;
    tally(this.errorsByCode, code);
  }

  /** One `receiveMessage` (or a message from a resync) seen by client i. */
  recordDelivery(i, msg, at) {
    const k = indexAfter(msg.clientMsgId, this.msgPrefix);
    const j = indexAfter(msg.roomId, this.roomPrefixDash);
    if (k < 0 || k >= this.capacity || j < 0 || j >= this.rooms) {
      this.foreign++;
      return;
    }
    const slot = this.clientRoomSlot(i, j);
    if (slot < 0) {
      this.notMember++;
      return;
    }
    const byte = i * this.bytesPerClient + (k >> 3);
    const bit = 1 << (k & 7);
    if ((this.receivedBits[byte] & bit) !== 0) {
      this.duplicates++;
      return;
    }
    this.receivedBits[byte] |= bit;
    const seqIdx = i * this.roomsPerUser + slot;
    if (msg.seq < this.lastSeq[seqIdx]) {
      this.outOfOrder++;
      this.outOfOrderByRoom[j]++;
    } else this.lastSeq[seqIdx] = msg.seq;
    this.delivered++;
    this.deliveriesOf[k]++;
    this.lastDeliveryAt[k] = at;
    let latencyMs;
    if (this.sendAt[k] > 0) latencyMs = at - this.sendAt[k];
    else {
      this.latencyFallbacks++;
      const wall = embeddedSendTime(msg.text);
      latencyMs = Date.now() - (wall > 0 ? wall : Date.parse(msg.createdAt));
    }
    const us = latencyMs > 0 ? Math.round(latencyMs * 1000) : 1;
    this.deliveryHist.recordValue(us);
    this.windowHist.recordValue(us);
  }

  /**
   * Per second of the send phase (by send time), the slowest last delivery of a message sent in
   * it, in ms: shows whether a tail is spread over the run or comes from a few stalls.
   */
  slowestBySecond() {
    let first = Infinity;
    for (let k = 0; k < this.sentCount; k++) if (this.sendAt[k] > 0 && this.sendAt[k] < first) first = this.sendAt[k];
    const slowest = [];
    for (let k = 0; k < this.sentCount; k++) {
      if (!(this.sendAt[k] > 0) || !(this.lastDeliveryAt[k] > 0)) continue;
      const second = Math.floor((this.sendAt[k] - first) / 1000);
      const ms = Math.round(this.lastDeliveryAt[k] - this.sendAt[k]);
      while (slowest.length <= second) slowest.push(0);
      if (ms > slowest[second]) slowest[second] = ms;
    }
    return slowest;
  }

  /** The highest seq client i has seen in room j (for rejoining with sinceSeq), or -1. */
  lastSeqSeen(i, j) {
    const slot = this.clientRoomSlot(i, j);
    return slot < 0 ? -1 : this.lastSeq[i * this.roomsPerUser + slot];
  }

  /** Deliveries the acked messages sent so far should produce: one per joined member of the room. */
  expectedDeliveries() {
    const membersOfRoom = this.membersPerRoom();
    let total = 0;
    for (let k = 0; k < this.sentCount; k++)
      if (this.status[k] === STATUS.ACKED) total += membersOfRoom[this.roomOf[k]];
    return total;
  }

  membersPerRoom() {
    const counts = new Int32Array(this.rooms);
    for (let i = 0; i < this.clients; i++) {
      if (!this.member[i]) continue;
      for (let s = 0; s < this.roomsPerUser; s++) counts[(i + s) % this.rooms]++;
    }
    return counts;
  }

  /**
   * Acked messages each joined member did not receive. Returns the total, how many members
   * missed anything, the worst member, and up to `sampleMax` examples.
   */
  lostDeliveries(sampleMax = 20) {
    const ackedByRoom = Array.from({ length: this.rooms }, () => []);
    for (let k = 0; k < this.sentCount; k++) if (this.status[k] === STATUS.ACKED) ackedByRoom[this.roomOf[k]].push(k);
    let total = 0;
    let membersWithLoss = 0;
    let worst = { client: -1, lost: 0 };
    const samples = [];
    for (let i = 0; i < this.clients; i++) {
      if (!this.member[i]) continue;
      let lost = 0;
      const base = i * this.bytesPerClient;
      for (let s = 0; s < this.roomsPerUser; s++) {
        for (const k of ackedByRoom[(i + s) % this.rooms]) {
          if ((this.receivedBits[base + (k >> 3)] & (1 << (k & 7))) === 0) {
            lost++;
            if (samples.length < sampleMax)
              samples.push({ client: i, clientMsgId: `${this.msgPrefix}${k}`, seq: this.seqOf[k] });
          }
        }
      }
      if (lost > 0) {
        total += lost;
        membersWithLoss++;
        if (lost > worst.lost) worst = { client: i, lost };
      }
    }
    return { total, membersWithLoss, worst, samples };
  }

  /** Acked messages as the persistence check wants them. */
  ackedMessages(roomIdOf) {
    const out = [];
    for (let k = 0; k < this.sentCount; k++) {
      if (this.status[k] !== STATUS.ACKED) continue;
      out.push({ k, roomId: roomIdOf(this.roomOf[k]), seq: this.seqOf[k], id: this.idOf[k], ackAt: this.ackAt[k] });
    }
    return out;
  }

  outstandingAcks() {
    let n = 0;
    for (let k = 0; k < this.sentCount; k++) if (this.status[k] === STATUS.SENT) n++;
    return n;
  }
}
