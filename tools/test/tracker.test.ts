import { describe, expect, it } from 'vitest';
import { dueCount, runSchedule, totalCount } from '../lib/scheduler.js';
import { RunTracker } from '../lib/tracker.js';

const msg = (k: number, room: number, seq: number) => ({
  clientMsgId: `run-${k}`,
  roomId: `room-${room}`,
  seq,
  text: 't=1 x',
  createdAt: new Date().toISOString(),
});
const ok = (seq: number) => ({ ok: true, message: { seq, id: `id${seq}` } });

describe('RunTracker', () => {
  // 3 clients, 2 rooms, one room each: clients 0 and 2 in room-0, client 1 in room-1.
  const make = () => {
    const t = new RunTracker({
      capacity: 16,
      clients: 3,
      rooms: 2,
      roomsPerUser: 1,
      runId: 'run',
      roomPrefix: 'room',
      now: () => 0,
    });
    t.member.fill(1);
    return t;
  };

  it('counts lost, duplicate and out-of-order deliveries per member', () => {
    const t = make();
    for (const k of [0, 1]) {
      t.recordSend(k, 0, 0, 1);
      t.recordAck(k, ok(k + 1), 2);
    }
    t.recordDelivery(0, msg(1, 0, 2), 3);
    t.recordDelivery(0, msg(0, 0, 1), 3); // seq went down: out of order
    t.recordDelivery(0, msg(0, 0, 1), 3); // again: duplicate
    t.recordDelivery(2, msg(0, 0, 1), 3); // client 2 never gets k=1
    t.recordDelivery(1, msg(0, 0, 1), 3); // client 1 is not in room-0
    expect(t.expectedDeliveries()).toBe(4);
    expect(t.delivered).toBe(3);
    expect(t.duplicates).toBe(1);
    expect(t.outOfOrder).toBe(1);
    expect([...t.outOfOrderByRoom]).toEqual([1, 0]);
    expect(t.notMember).toBe(1);
    expect(t.lostDeliveries()).toMatchObject({ total: 1, membersWithLoss: 1, worst: { client: 2, lost: 1 } });
  });

  it('counts error acks by code and ignores messages of other runs', () => {
    const t = make();
    t.recordSend(0, 0, 0, 1);
    t.recordAck(0, { ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } }, 2);
    t.recordSend(1, 0, 0, 1);
    t.recordSendFailure(1, 'ACK_TIMEOUT');
    t.recordDelivery(0, { ...msg(0, 0, 1), clientMsgId: 'other-0' }, 3);
    expect(t.errorsByCode).toEqual({ RATE_LIMITED: 1, ACK_TIMEOUT: 1 });
    expect(t.foreign).toBe(1);
    expect(t.expectedDeliveries()).toBe(0);
  });

  it('measures delivery latency from the local send time', () => {
    const t = make();
    t.recordSend(0, 0, 0, 100);
    t.recordDelivery(2, msg(0, 0, 1), 112.5);
    expect(t.deliveryHist.maxValue).toBeGreaterThanOrEqual(12_490);
    expect(t.deliveryHist.maxValue).toBeLessThanOrEqual(12_510);
  });
});

describe('scheduler', () => {
  it('ramps linearly, then holds the rate', () => {
    expect(dueCount(0, 100, 1000, 2000)).toBe(0);
    expect(dueCount(500, 100, 1000, 2000)).toBe(12); // 100 * 0.5^2 / 2
    expect(dueCount(1000, 100, 1000, 2000)).toBe(50);
    expect(dueCount(2000, 100, 1000, 2000)).toBe(150);
    expect(dueCount(9000, 100, 1000, 2000)).toBe(250);
    expect(totalCount(100, 0, 2000)).toBe(200);
  });

  it('sends every scheduled message once, in order, on a fake clock', async () => {
    let clock = 0;
    const sent: number[] = [];
    const s = runSchedule({
      rate: 1000,
      rampMs: 0,
      durationMs: 50,
      now: () => (clock += 3),
      send: (k) => sent.push(k),
      tickMs: 0,
    });
    await s.done;
    expect(sent).toEqual(Array.from({ length: 50 }, (_, k) => k));
  });
});
