import { describe, expect, it } from 'vitest';
import { failures, tallyFaultRun, type RunMessage } from '../lib/fault/tally.js';

const msg = (k: number, over: Partial<RunMessage> = {}): RunMessage => ({
  roomId: 'r',
  seq: k,
  id: `id-${k}`,
  clientMsgId: `run-${k}`,
  senderId: 'u1',
  ...over,
});

type Input = Parameters<typeof tallyFaultRun>[0];

/** A clean run of three messages, with `change` applied. */
function tally(change: (p: Input) => void = () => undefined) {
  const three = [msg(1), msg(2), msg(3)];
  const p: Input = {
    acks: [...three],
    liveDuplicates: [],
    seen: [...three],
    stored: [...three],
    history: [...three],
    phaseOf: (id) => (id === 'run-3' ? 'restart Redis' : 'before'),
  };
  change(p);
  return tallyFaultRun(p);
}

describe('the fault run tally', () => {
  it('a clean run passes with every count 0', () => {
    const t = tally();
    expect(t).toMatchObject({ acked: 3, stored: 3, storedViaHistory: 3 });
    expect(failures(t)).toEqual([]);
  });

  it('an acked message missing from MongoDB or from history is lost (and acked-but-unstored), by phase', () => {
    const t = tally((p) => {
      p.stored = p.stored.slice(0, 2);
    });
    expect(t.lost).toMatchObject({ count: 1, byPhase: { 'restart Redis': 1 } });
    expect(t.ackedButUnstored.count).toBe(1);
    expect(t.shownButUnstored.count).toBe(1);
    expect(tally((p) => void (p.history = p.history.slice(1))).lost.count).toBe(1);
  });

  it('an ack whose identity is not the stored one is acked-but-unstored, not lost', () => {
    const t = tally((p) => {
      p.stored[2] = msg(3, { id: 'other', seq: 7 });
      p.history[2] = p.stored[2]!;
    });
    expect(t.lost.count).toBe(0);
    expect(t.ackedButUnstored.count).toBe(1);
    expect(t.ackedButUnstored.samples[0]).toMatchObject({ id: 'id-3', storedAs: { id: 'other', seq: 7 } });
    expect(failures(t)).toContain('ackedButUnstored');
  });

  it('a resend acked with a new identity is an ack conflict', () => {
    const t = tally((p) => p.acks.push(msg(3, { id: 'fresh', seq: 9 })));
    expect(t.ackConflicts.count).toBe(1);
    expect(t.acked).toBe(3);
  });

  it('duplicates: a key or id stored twice, an id twice in history, an id delivered live twice', () => {
    expect(tally((p) => p.stored.push(msg(3, { id: 'again', seq: 4 }))).duplicated.samples[0]).toMatchObject({
      where: 'mongo-key',
    });
    expect(tally((p) => p.history.push(msg(2))).duplicated.samples[0]).toMatchObject({ where: 'history' });
    expect(tally((p) => p.liveDuplicates.push({ client: 4, ...msg(1) })).duplicated.samples[0]).toMatchObject({
      where: 'live',
      client: 4,
    });
  });

  it('one (roomId, seq) with two ids anywhere is a seq reuse; the same seq in two rooms is not', () => {
    expect(tally((p) => p.seen.push(msg(9, { seq: 2 }))).seqReused).toMatchObject({ count: 1 });
    expect(tally((p) => p.acks.push(msg(9, { seq: 1, roomId: 'other' }))).seqReused.count).toBe(0);
  });
});
