import { HISTORY_LIMIT_MAX, JOIN_MISSED_MAX } from '@chat/contracts';
import { createLogger } from '@chat/service-kit';
import { describe, expect, it } from 'vitest';
import { MemoryHistoryClient } from '../../src/history-client_memory.js';
import { collectMissed } from '../../src/missed.js';
import { MemoryRecentBuffer } from '../../src/recent-buffer_memory.js';
import { fakeMessage } from '../helpers.js';

/** Seqs 1..total accepted; history holds 1..persisted, the buffer the newest `bufferSize`. */
async function room(total: number, persisted: number, bufferSize: number) {
  const history = new MemoryHistoryClient();
  const recent = new MemoryRecentBuffer(bufferSize);
  const all = Array.from({ length: total }, (_, i) => fakeMessage('room', i + 1));
  for (const m of all) {
    if (m.seq <= persisted) history.store(m);
    await recent.push('room', m.seq, JSON.stringify(m));
  }
  let reads = 0;
  const counting = { page: (...a: Parameters<MemoryHistoryClient['page']>) => (reads++, history.page(...a)) };
  const sources = { recent, history: counting, log: createLogger('unit', 'silent'), stragglerWindowMs: 0 };
  return { all, history, sources, reads: () => reads };
}

describe('collectMissed', () => {
  it('answers from the buffer alone when it covers sinceSeq', async () => {
    const r = await room(30, 0, 20);
    const { missed, hasMore } = await collectMissed(r.sources, 'room', 15, 't');
    // Lower seqs pushed in the same millisecond as 15 count as possible stragglers.
    expect(missed.filter((m) => m.seq > 15)).toEqual(r.all.slice(15));
    expect(hasMore).toBe(false);
    expect(r.reads()).toBe(0);
  });

  it('pages history (several pages) up to where the buffer takes over, and caps oldest-first', async () => {
    const r = await room(JOIN_MISSED_MAX + 150, JOIN_MISSED_MAX + 100, 60);
    const { missed, hasMore } = await collectMissed(r.sources, 'room', 10, 't');
    expect(missed).toEqual(r.all.slice(10, 10 + JOIN_MISSED_MAX));
    expect(hasMore).toBe(true);
    expect(r.reads()).toBe(Math.ceil((JOIN_MISSED_MAX + 1) / HISTORY_LIMIT_MAX));
  });

  it('joins history and the unpersisted tail without a gap or a duplicate', async () => {
    const r = await room(150, 140, 20);
    expect(await collectMissed(r.sources, 'room', 0, 't')).toEqual({ missed: r.all, hasMore: false });
  });

  it('says hasMore with nothing missed when history is needed but down', async () => {
    const r = await room(50, 50, 10);
    r.history.failure = new Error('down');
    expect(await collectMissed(r.sources, 'room', 5, 't')).toEqual({ missed: [], hasMore: true });
  });

  it('includes lower seqs pushed after sinceSeq (stragglers), in seq order', async () => {
    const r = await room(5, 0, 20);
    await new Promise((resolve) => setTimeout(resolve, 5)); // 1..5 pushed well before 7
    const late = fakeMessage('room', 6);
    const after = fakeMessage('room', 7);
    await r.sources.recent.push('room', after.seq, JSON.stringify(after));
    await r.sources.recent.push('room', late.seq, JSON.stringify(late));
    expect((await collectMissed(r.sources, 'room', 7, 't')).missed).toEqual([late]);
  });
});
