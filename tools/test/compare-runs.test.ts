import { describe, expect, it } from 'vitest';
import { comparePairs, compareRuns, median } from '../lib/bench/compare-runs.js';

describe('compareRuns (bench/interleave.mjs)', () => {
  it('takes medians of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('finds a clear regression: ratio above 1, interval above 1, small p', () => {
    const before = [10, 11, 9, 10.5, 9.5, 10.2, 10.8];
    const after = [20, 21, 19, 20.5, 19.5, 20.2, 20.8];
    const c = compareRuns(before, after);
    expect(c.ratio).toBeCloseTo(20.2 / 10.2, 5);
    expect(c.low).toBeGreaterThan(1.5);
    expect(c.p).toBeLessThan(0.05);
    expect(c.withinTolerance).toBe(false);
  });

  it('gives the permutation p-value of the difference of medians', () => {
    // Of the 20 ways to split six runs in two threes, four have medians 3 apart ({1,2,3} or
    // {1,2,4} against the rest, either way round): p = 4/20.
    const c = compareRuns([1, 2, 3], [4, 5, 6]);
    expect(Math.abs(c.p - 0.2)).toBeLessThan(0.015);
    // Identical runs: every relabelling is as different as they are.
    expect(compareRuns([5, 6, 7], [5, 6, 7]).p).toBe(1);
  });

  it('does not call noise a regression: same spread, interval spans 1, large p', () => {
    const before = [4, 10, 10, 11, 19, 20, 23];
    const after = [11, 12, 13, 15, 15, 17, 24];
    const c = compareRuns(before, after);
    expect(c.low).toBeLessThan(1);
    expect(c.high).toBeGreaterThan(1);
    expect(c.p).toBeGreaterThan(0.2);
  });

  it('puts the ratio inside its interval', () => {
    const c = compareRuns([12, 9, 15, 11, 30, 10], [14, 13, 9, 16, 40, 12]);
    expect(c.low).toBeLessThanOrEqual(c.ratio);
    expect(c.ratio).toBeLessThanOrEqual(c.high);
  });

  it('rules out a regression beyond the tolerance from the interval, not from the ratio alone', () => {
    const before = [100, 101, 99, 100, 100.5, 99.5, 100.2, 99.8];
    const same = [100.1, 100.9, 99.2, 100.3, 100.4, 99.6, 100, 99.9];
    expect(compareRuns(before, same, { tolerance: 0.05 }).withinTolerance).toBe(true);
    const slower = same.map((x) => x * 1.08);
    expect(compareRuns(before, slower, { tolerance: 0.05 }).withinTolerance).toBe(false);
    // The same median as before, but so widely spread that a 5% regression is not ruled out.
    const noisy = [60, 70, 80, 100, 100.2, 120, 140, 160];
    const c = compareRuns(before, noisy, { tolerance: 0.05 });
    expect(c.ratio).toBeLessThanOrEqual(1.05);
    expect(c.withinTolerance).toBe(false);
  });

  it('refuses too few runs and figures that are not positive numbers', () => {
    expect(() => compareRuns([1], [1, 2])).toThrow(RangeError);
    expect(() => compareRuns([1, 2], [])).toThrow(RangeError);
    expect(() => compareRuns([1, NaN], [1, 2])).toThrow(RangeError);
    expect(() => compareRuns([1, 2], [0, 2])).toThrow(RangeError);
  });

  it('gives the same answer for the same runs (seeded)', () => {
    const before = [5, 7, 6, 9, 8];
    const after = [6, 8, 7, 10, 7];
    expect(compareRuns(before, after)).toEqual(compareRuns(before, after));
  });
});

describe('comparePairs (bench/interleave.mjs, round by round)', () => {
  it('sees a steady 5% through drift between rounds that hides it from compareRuns', () => {
    const before = [10, 20, 40, 80, 15, 30];
    const after = before.map((x) => x * 1.05);
    const c = comparePairs(before, after);
    expect(c.ratio).toBeCloseTo(1.05, 10);
    expect(c.low).toBeCloseTo(1.05, 10);
    expect(c.high).toBeCloseTo(1.05, 10);
    expect(c.withinTolerance).toBe(true);
    expect(comparePairs(before, after, { tolerance: 0.04 }).withinTolerance).toBe(false);
    // Of the 64 ways to swap runs within rounds, only "none" and "all" keep the signed-rank sum this far out.
    expect(c.p).toBeCloseTo(2 / 64, 10);
    expect(c.better).toBe(0);
    expect(compareRuns(before, after).withinTolerance).toBe(false);
  });

  it('is not carried off by one wild round', () => {
    const before = [10, 10, 10, 10, 10, 10, 10, 10];
    const after = [12, 12, 12, 12, 12, 12, 12, 0.1];
    const c = comparePairs(before, after);
    // The Hodges–Lehmann centre stays at the seven rounds' 1.2; a mean of logs would be below 1.
    expect(c.ratio).toBeCloseTo(1.2, 10);
    expect(c.better).toBe(1);
    // Signed ranks: the seven share ranks 1-7 (4 each), the wild round has 8; W+ = 28, centre 18.
    // As far out: W+ = 4a + 8b >= 28 or <= 8 (a of the seven, b the wild one, counted up):
    // b = 0: a = 7 (1) or a <= 2 (1 + 7 + 21); b = 1: a >= 5 (21 + 7 + 1) or a = 0 (1) — 60 of 256.
    expect(c.p).toBeCloseTo(60 / 256, 10);
  });

  it('leaves rounds with equal runs out of the test', () => {
    const c = comparePairs([10, 10, 10, 10], [12, 12, 12, 10]);
    // Three rounds left, all higher: only "none" and "all" swapped are as far out, 2 of 8 (kept,
    // the equal round's zero would make it 10 of 16).
    expect(c.p).toBe(0.25);
  });

  it('ties mirror-image rounds, as whole-percent figures give them', () => {
    // 47 -> 46 and 46 -> 47: |log| equal but for the last bit (the rise is the larger). Tied, they
    // share rank 1.5: W+ = 1.5 + 3 against a centre of 3, and 6 of the 8 sign patterns are as far
    // out. Ranked 1 and 2 apart, W+ would be 2 + 3 and only 4 of 8 as far out.
    const c = comparePairs([47, 46, 10], [46, 47, 11]);
    expect(c.p).toBe(0.75);
  });

  it('does not call noise a regression: interval spans 1, large p', () => {
    const before = [12, 30, 8, 50, 20, 9, 40, 15];
    const after = [14, 25, 9, 45, 24, 8, 44, 14];
    const c = comparePairs(before, after);
    expect(c.low).toBeLessThan(1);
    expect(c.high).toBeGreaterThan(1);
    expect(c.p).toBeGreaterThan(0.2);
    expect(c.low).toBeLessThanOrEqual(c.ratio);
    expect(c.ratio).toBeLessThanOrEqual(c.high);
  });

  it('samples sign flips beyond 16 rounds, still finding a steady regression', () => {
    const before = Array.from({ length: 20 }, (_, i) => 10 + ((i * 7) % 11));
    const after = before.map((x, i) => x * (1.2 + (i % 3) * 0.01));
    const c = comparePairs(before, after);
    expect(c.p).toBeLessThan(0.001);
    expect(c.low).toBeGreaterThan(1.19);
    expect(c.withinTolerance).toBe(false);
    expect(comparePairs(before, after)).toEqual(c);
  });

  it('refuses lists of different lengths, too few pairs and figures that are not positive', () => {
    expect(() => comparePairs([1, 2, 3], [1, 2])).toThrow(RangeError);
    expect(() => comparePairs([1], [1])).toThrow(RangeError);
    expect(() => comparePairs([1, 2], [1, -2])).toThrow(RangeError);
  });
});
