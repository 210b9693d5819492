import { describe, expect, it } from 'vitest';
import { verdict } from '../lib/report.js';
import { verifyPersistence, type AckedMessage, type StoredMessage } from '../lib/verify.js';

const prefix = 'run1-';
const acked: AckedMessage[] = [0, 1, 2, 3].map((k) => ({ k, roomId: 'r-0', seq: k + 1, id: `id${k}` }));
const storedOf = (a: AckedMessage): StoredMessage => ({
  roomId: a.roomId,
  seq: a.seq,
  id: a.id,
  clientMsgId: `${prefix}${a.k}`,
});

describe('verifyPersistence', () => {
  it('passes when every acked message is stored exactly once', () => {
    const r = verifyPersistence({ acked, stored: acked.map(storedOf), msgPrefix: prefix });
    expect(r).toMatchObject({ ok: true, acked: 4, persisted: 4, missing: 0, duplicated: 0, mismatched: 0 });
  });

  it('reports an acked message missing from a fabricated history', () => {
    const stored = acked.filter((a) => a.k !== 2).map(storedOf);
    const r = verifyPersistence({ acked, stored, msgPrefix: prefix });
    expect(r.ok).toBe(false);
    expect(r.missing).toBe(1);
    expect(r.samples.missing).toEqual([{ clientMsgId: 'run1-2', roomId: 'r-0', seq: 3 }]);
  });

  it('reports a message stored twice, acked or not', () => {
    const unacked: StoredMessage = { roomId: 'r-0', seq: 9, id: 'idx', clientMsgId: `${prefix}7` };
    const stored = [...acked.map(storedOf), storedOf(acked[1]!), unacked, unacked];
    const r = verifyPersistence({ acked, stored, msgPrefix: prefix });
    expect(r.duplicated).toBe(2);
    expect(r.persisted).toBe(3);
    expect(r.unackedStored).toBe(1);
    expect(r.ok).toBe(false);
  });

  it('reports a stored message whose seq differs from its ack, and ignores other runs', () => {
    const stored = acked.map(storedOf);
    stored[0] = { ...stored[0]!, seq: 42 };
    stored.push({ roomId: 'r-0', seq: 5, id: 'other', clientMsgId: 'run2-0' });
    const r = verifyPersistence({ acked, stored, msgPrefix: prefix });
    expect(r.mismatched).toBe(1);
    expect(r.foreign).toBe(1);
    expect(r.ok).toBe(false);
  });
});

describe('verdict', () => {
  const base = {
    mode: 'load',
    connections: { failed: 0 },
    messages: { sent: 10, acked: 10 },
    deliveries: { lost: 0, membersWithLoss: 0, duplicates: 0 },
    persistence: { skipped: false, missing: 0, duplicated: 0, mismatched: 0 },
  };

  it('exits 0 on a clean run', () => {
    expect(verdict(base, 0)).toEqual({ ok: true, exitCode: 0, failures: [] });
  });

  it('exits non-zero when the persistence check found a missing message', () => {
    const missing = verifyPersistence({ acked, stored: acked.slice(1).map(storedOf), msgPrefix: prefix });
    const v = verdict({ ...base, persistence: { skipped: false, ...missing } }, 0);
    expect(v.exitCode).toBe(1);
    expect(v.failures).toEqual(['1 acked messages missing from history']);
  });

  it('exits non-zero on lost or duplicated deliveries, nothing acked, or too many connection failures', () => {
    expect(verdict({ ...base, deliveries: { lost: 3, membersWithLoss: 1, duplicates: 0 } }, 0).exitCode).toBe(1);
    expect(verdict({ ...base, deliveries: { lost: 0, membersWithLoss: 0, duplicates: 2 } }, 0).exitCode).toBe(1);
    expect(verdict({ ...base, messages: { sent: 10, acked: 0 } }, 0).exitCode).toBe(1);
    expect(verdict({ ...base, connections: { failed: 3 } }, 2).failures).toEqual([
      '3 connection failures (threshold 2)',
    ]);
    expect(verdict({ ...base, connections: { failed: 2 } }, 2).exitCode).toBe(0);
  });
});
