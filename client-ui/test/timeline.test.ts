import { describe, expect, it } from 'vitest';
import {
  emptyTimeline,
  oldestSeq,
  timelineItems,
  timelineReducer,
  type Timeline,
  type TimelineAction,
} from '../src/messages/timeline.js';
import { ME_ID as ME, message as msg } from './fixtures.js';

const ROOM = 'general';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i));
const run = (actions: TimelineAction[], start: Timeline = emptyTimeline) => actions.reduce(timelineReducer, start);
const seqs = (t: Timeline) => t.messages.map((m) => m.seq);

const pending = (clientMsgId: string, text = 'hi'): TimelineAction => ({
  type: 'pending',
  message: { clientMsgId, roomId: ROOM, text, senderId: ME, senderName: 'Me', createdAt: new Date().toISOString() },
});

describe('timeline: history pages', () => {
  it('takes the newest page and records whether older pages exist', () => {
    const t = run([{ type: 'historyPage', messages: range(51, 100), hasMore: true, direction: 'older' }]);
    expect(seqs(t)).toEqual(range(51, 100).map((m) => m.seq));
    expect(t.hasOlder).toBe(true);
    expect(t.lastSeq).toBe(100);
    expect(oldestSeq(t)).toBe(51);
  });

  it('prepends older pages in seq order and stops when the server says there is no more', () => {
    const t = run([
      { type: 'historyPage', messages: range(51, 100), hasMore: true, direction: 'older' },
      { type: 'historyPage', messages: range(1, 50), hasMore: false, direction: 'older' },
    ]);
    expect(seqs(t)).toEqual(range(1, 100).map((m) => m.seq));
    expect(t.hasOlder).toBe(false);
    expect(t.lastSeq).toBe(100);
  });

  it('ignores overlapping pages: no message appears twice', () => {
    const t = run([
      { type: 'historyPage', messages: range(40, 100), hasMore: true, direction: 'older' },
      { type: 'historyPage', messages: range(20, 60), hasMore: true, direction: 'older' },
      { type: 'historyPage', messages: range(20, 60), hasMore: true, direction: 'older' },
    ]);
    expect(seqs(t)).toEqual(range(20, 100).map((m) => m.seq));
    expect(new Set(t.messages.map((m) => m.id)).size).toBe(t.messages.length);
  });

  it('a newer (after-cursor) page does not change whether older pages exist', () => {
    const t = run([
      { type: 'historyPage', messages: range(10, 20), hasMore: true, direction: 'older' },
      { type: 'historyPage', messages: range(21, 30), hasMore: false, direction: 'newer' },
    ]);
    expect(t.hasOlder).toBe(true);
    expect(t.lastSeq).toBe(30);
  });

  it('keeps gaps in seq (allowed by the contract) without inventing messages', () => {
    const t = run([{ type: 'historyPage', messages: [msg(3), msg(7), msg(8)], hasMore: false, direction: 'older' }]);
    expect(seqs(t)).toEqual([3, 7, 8]);
  });
});

describe('timeline: live messages and missed batches', () => {
  it('appends live messages and orders out-of-order arrivals by seq', () => {
    const t = run([
      { type: 'historyPage', messages: range(1, 3), hasMore: false, direction: 'older' },
      { type: 'live', message: msg(5) },
      { type: 'live', message: msg(4) },
    ]);
    expect(seqs(t)).toEqual([1, 2, 3, 4, 5]);
    expect(t.lastSeq).toBe(5);
  });

  it('drops a live message it already has (e.g. also in a history page)', () => {
    const before = run([{ type: 'historyPage', messages: range(1, 3), hasMore: false, direction: 'older' }]);
    const after = timelineReducer(before, { type: 'live', message: msg(3) });
    expect(after).toBe(before);
  });

  it('merges a missed batch that overlaps live messages, exactly once each', () => {
    const t = run([
      { type: 'historyPage', messages: range(1, 10), hasMore: false, direction: 'older' },
      { type: 'live', message: msg(11) },
      { type: 'live', message: msg(13) },
      // Reconnected: the server sends everything after the last seq we had before the drop.
      { type: 'missedBatch', messages: range(11, 15) },
    ]);
    expect(seqs(t)).toEqual(range(1, 15).map((m) => m.seq));
    expect(t.lastSeq).toBe(15);
  });

  it('a missed batch or late broadcast leaves what lies below the oldest held page to scroll-back', () => {
    const t = run([
      { type: 'historyPage', messages: range(51, 100), hasMore: true, direction: 'older' },
      // Stragglers 40 and 45 (not 41-44 or 46-50) and one new message.
      { type: 'missedBatch', messages: [msg(40), msg(45), msg(101)] },
      // A broadcast arriving very late is the same case.
      { type: 'live', message: msg(44) },
    ]);
    expect(seqs(t)).toEqual(range(51, 101).map((m) => m.seq));
    expect(oldestSeq(t)).toBe(51);
    // With the whole room held, nothing is left for scroll-back: everything is merged.
    const whole = run([
      { type: 'historyPage', messages: range(3, 5), hasMore: false, direction: 'older' },
      { type: 'missedBatch', messages: [msg(1), msg(6)] },
    ]);
    expect(seqs(whole)).toEqual([1, 3, 4, 5, 6]);
  });

  it('an empty missed batch changes nothing', () => {
    const before = run([{ type: 'historyPage', messages: range(1, 3), hasMore: false, direction: 'older' }]);
    expect(timelineReducer(before, { type: 'missedBatch', messages: [] })).toBe(before);
  });

  it('caughtUp records the room last seq only when the timeline knows none higher', () => {
    expect(run([{ type: 'caughtUp', seq: 42 }]).lastSeq).toBe(42);
    const t = run([
      { type: 'historyPage', messages: range(1, 50), hasMore: false, direction: 'older' },
      { type: 'caughtUp', seq: 42 },
    ]);
    expect(t.lastSeq).toBe(50);
    expect(t.watermark).toBe(50);
  });
});

describe('timeline: own messages', () => {
  const confirmed = (clientMsgId: string, seq: number) =>
    msg(seq, { id: `srv-${clientMsgId}`, clientMsgId, senderId: ME, senderName: 'Me', text: 'hi' });

  it('shows a sent message at once as pending, after the confirmed ones', () => {
    const t = run([{ type: 'historyPage', messages: range(1, 2), hasMore: false, direction: 'older' }, pending('x1')]);
    const items = timelineItems(t);
    expect(items.map((i) => i.kind)).toEqual(['message', 'message', 'outgoing']);
    expect(t.outbox[0]).toMatchObject({ clientMsgId: 'x1', status: 'pending', text: 'hi' });
  });

  it('pending becomes sent on its ack, placed by the seq the server gave it', () => {
    const t = run([
      { type: 'historyPage', messages: range(1, 2), hasMore: false, direction: 'older' },
      pending('x1'),
      { type: 'ackOk', clientMsgId: 'x1', message: confirmed('x1', 3) },
    ]);
    expect(t.outbox).toEqual([]);
    expect(seqs(t)).toEqual([1, 2, 3]);
    expect(t.messages[2]!.clientMsgId).toBe('x1');
  });

  it('the broadcast of our own message arriving before the ack confirms it once', () => {
    const t = run([
      pending('x1'),
      { type: 'live', message: confirmed('x1', 1) },
      { type: 'ackOk', clientMsgId: 'x1', message: confirmed('x1', 1) },
    ]);
    expect(t.outbox).toEqual([]);
    expect(t.messages).toHaveLength(1);
  });

  it('a failed send stays visible as failed with its error', () => {
    const t = run([pending('x1'), { type: 'ackFailed', clientMsgId: 'x1', error: 'Service unavailable' }]);
    expect(t.outbox).toEqual([
      expect.objectContaining({ clientMsgId: 'x1', status: 'failed', error: 'Service unavailable' }),
    ]);
  });

  it('retry goes back to pending with the same clientMsgId and text', () => {
    const t = run([
      pending('x1', 'hello there'),
      { type: 'ackFailed', clientMsgId: 'x1', error: 'timeout' },
      { type: 'retry', clientMsgId: 'x1' },
    ]);
    expect(t.outbox).toHaveLength(1);
    expect(t.outbox[0]).toMatchObject({ clientMsgId: 'x1', text: 'hello there', status: 'pending' });
    expect(t.outbox[0]!.error).toBeUndefined();
  });

  it('a failed send that was in fact stored is confirmed by the missed batch after reconnect', () => {
    const t = run([
      pending('x1'),
      { type: 'ackFailed', clientMsgId: 'x1', error: 'No answer from the server.' },
      { type: 'missedBatch', messages: [msg(1), confirmed('x1', 2)] },
    ]);
    expect(t.outbox).toEqual([]);
    expect(seqs(t)).toEqual([1, 2]);
  });

  it('a late ack failure after confirmation does nothing', () => {
    const before = run([pending('x1'), { type: 'ackOk', clientMsgId: 'x1', message: confirmed('x1', 1) }]);
    expect(timelineReducer(before, { type: 'ackFailed', clientMsgId: 'x1', error: 'late' })).toBe(before);
  });

  it('retry of a message that is not failed does nothing', () => {
    const before = run([pending('x1')]);
    expect(timelineReducer(before, { type: 'retry', clientMsgId: 'x1' })).toBe(before);
  });

  it('another user reusing our clientMsgId does not confirm our message', () => {
    const t = run([pending('x1'), { type: 'live', message: msg(1, { clientMsgId: 'x1' }) }]);
    expect(t.outbox).toHaveLength(1);
    expect(t.messages).toHaveLength(1);
  });

  it('keeps one list key per message from pending to sent', () => {
    const pendingState = run([pending('x1')]);
    const sentState = timelineReducer(pendingState, { type: 'ackOk', clientMsgId: 'x1', message: confirmed('x1', 1) });
    expect(timelineItems(sentState)[0]!.key).toBe(timelineItems(pendingState)[0]!.key);
  });
});

describe('timeline: the watermark a rejoin resumes from', () => {
  const caughtUp = (seq: number): TimelineAction => ({ type: 'caughtUp', seq });
  const live = (seq: number): TimelineAction => ({ type: 'live', message: msg(seq) });

  it('is unknown until the server proves something complete', () => {
    expect(run([live(3)]).watermark).toBeUndefined();
  });

  it('follows live messages while they come in order, and stays below a hole', () => {
    const t = run([caughtUp(2), live(3), live(5), live(6)]);
    expect(t.lastSeq).toBe(6);
    expect(t.watermark).toBe(3);
  });

  it('rises through the held seqs when the hole fills', () => {
    const t = run([caughtUp(2), live(3), live(5), live(6), { type: 'missedBatch', messages: [msg(4)] }]);
    expect(t.watermark).toBe(6);
  });

  it('a complete answer explains the seqs that never came', () => {
    const t = run([caughtUp(2), live(5), caughtUp(5), live(7)]);
    expect(t.watermark).toBe(5);
  });

  it('never moves down', () => {
    expect(run([caughtUp(9), caughtUp(4)]).watermark).toBe(9);
  });

  it("passes the seqs taken by edits, deletes and reactions (a held message's version)", () => {
    // 3 is created, 4 edits it, 5 reacts to message 1, 6 is a new message.
    const changed = (seq: number, version: number): TimelineAction => ({
      type: 'live',
      message: msg(seq, { version }),
    });
    const t = run([caughtUp(2), live(3), changed(3, 4), changed(1, 5), live(6)]);
    expect(t.lastSeq).toBe(6);
    expect(t.watermark).toBe(6);
  });

  it('passes a change held before the hole below it fills', () => {
    const t = run([caughtUp(2), { type: 'live', message: msg(1, { version: 4 }) }, live(5), live(3)]);
    expect(t.watermark).toBe(5);
  });

  it("an earlier change's seq, overtaken by a later change of the same message, waits for a complete answer", () => {
    // Message 3 was edited at 4 and again at 5; only its latest state (version 5) is known.
    const stalled = run([caughtUp(2), live(3), { type: 'live', message: msg(3, { version: 5 }) }, live(6)]);
    expect(stalled.watermark).toBe(3);
    expect(run([caughtUp(6)], stalled).watermark).toBe(6);
  });

  it('passes a live change to a message older than the history loaded, without keeping it', () => {
    const loaded = run([
      { type: 'historyPage', messages: range(51, 100), hasMore: true, direction: 'older' },
      caughtUp(100),
    ]);
    const t = run([{ type: 'live', message: msg(10, { version: 101 }) }, live(102)], loaded);
    expect(seqs(t)).toEqual([...range(51, 100).map((m) => m.seq), 102]);
    expect(t.watermark).toBe(102);
  });
});

describe('timeline: restored outbox', () => {
  it('adds kept sends once each, by clientMsgId', () => {
    const kept = run([pending('k1'), pending('k2')]).outbox;
    const t = run([pending('k1'), { type: 'restore', outbox: kept }, { type: 'restore', outbox: kept }]);
    expect(t.outbox.map((o) => o.clientMsgId)).toEqual(['k1', 'k2']);
  });
});
