import { describe, expect, it } from 'vitest';
import { findEachId, forEachInFlight, ID_LOOKUPS_IN_FLIGHT } from '../src/in-flight.js';

describe('findEachId', () => {
  it('looks each distinct id up once, a bounded number at a time, and keeps what it finds', async () => {
    const asked: string[] = [];
    let running = 0;
    let mostRunning = 0;
    const ids = Array.from({ length: 30 }, (_, i) => `id-${i % 20}`);
    const found = await findEachId(ids, async (id) => {
      asked.push(id);
      mostRunning = Math.max(mostRunning, ++running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      return Number(id.slice(3)) % 2 === 0 ? { _id: id } : null;
    });
    expect(asked.sort()).toEqual([...new Set(ids)].sort());
    expect(mostRunning).toBe(ID_LOOKUPS_IN_FLIGHT);
    expect(found.map((d) => d._id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `id-${i * 2}`).sort());
  });

  it('fails with the first lookup that fails', async () => {
    await expect(
      findEachId(['a', 'b'], async (id) => {
        if (id === 'b') throw new Error('down');
        return id;
      }),
    ).rejects.toThrow('down');
  });
});

describe('forEachInFlight', () => {
  it('takes no further item once one has failed', async () => {
    const started: number[] = [];
    const items = Array.from({ length: 100 }, (_, i) => i);
    await expect(
      forEachInFlight(items, 4, async (i) => {
        started.push(i);
        await new Promise((r) => setTimeout(r, 1));
        if (i === 5) throw new Error('down');
      }),
    ).rejects.toThrow('down');
    // Let the workers still awaiting their item finish; none may start another.
    await new Promise((r) => setTimeout(r, 50));
    expect(started.length).toBeLessThan(12);
  });
});
