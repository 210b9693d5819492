// Before-and-after comparison of repeated benchmark runs (bench/interleave.mjs): on a shared
// two-core machine single runs spread 2–5× (docs/performance-history.md), so a regression is
// judged on the runs of a sitting together, not on one pair of medians. Deterministic: a
// seeded generator, so the same runs always give the same figures.

/** The median of `xs` (mean of the middle two for an even count); NaN when empty. */
export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** mulberry32: a small seeded generator, uniform in [0, 1). */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const resample = (xs, random) => xs.map(() => xs[Math.floor(random() * xs.length)]);
/** The order statistic at `q` of an ascending list (the ⌈q·n⌉-th value). */
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/** Both sides need at least two runs, each a positive finite figure (a ratio of medians). */
function checkRuns(name, xs) {
  if (xs.length < 2) throw new RangeError(`${name}: at least two runs needed, got ${xs.length}`);
  const bad = xs.find((x) => !(Number.isFinite(x) && x > 0));
  if (bad !== undefined) throw new RangeError(`${name}: every figure must be a positive number, got ${bad}`);
}

/**
 * `after` against `before` (each a list of one metric's values, one per run; lower is
 * better): the ratio of medians, its nominal 95% percentile-bootstrap interval (each side
 * resampled with replacement; with a handful of runs a median's bootstrap is coarse and its
 * real coverage below 95%, so take more runs rather than trust a tight interval from few),
 * and a two-sided permutation p-value for the difference of medians (how often relabelling
 * the pooled runs at random gives a difference at least as large; with n runs a side it can
 * be no smaller than about 2 / C(2n, n)). Also says whether the interval rules out a
 * regression of more than `tolerance` (e.g. 0.1 for 10%). Throws on fewer than two runs a
 * side or a figure that is not a positive number.
 */
export function compareRuns(before, after, { resamples = 10_000, seed = 1, tolerance = 0.1 } = {}) {
  checkRuns('before', before);
  checkRuns('after', after);
  const random = seeded(seed);
  const ratio = median(after) / median(before);
  const ratios = [];
  for (let i = 0; i < resamples; i++) ratios.push(median(resample(after, random)) / median(resample(before, random)));
  ratios.sort((a, b) => a - b);
  const observed = Math.abs(median(after) - median(before));
  const pooled = [...before, ...after];
  let asLarge = 0;
  for (let i = 0; i < resamples; i++) {
    // Fisher–Yates shuffle of the pooled runs, split at the `before` count.
    for (let j = pooled.length - 1; j > 0; j--) {
      const k = Math.floor(random() * (j + 1));
      [pooled[j], pooled[k]] = [pooled[k], pooled[j]];
    }
    const diff = Math.abs(median(pooled.slice(before.length)) - median(pooled.slice(0, before.length)));
    // Equal up to rounding counts as "as large" (ties are the null hypothesis's own outcomes).
    if (diff >= observed * (1 - 1e-12)) asLarge++;
  }
  const low = quantile(ratios, 0.025);
  const high = quantile(ratios, 0.975);
  return {
    before: median(before),
    after: median(after),
    ratio,
    low,
    high,
    p: (asLarge + 1) / (resamples + 1),
    /** The interval's top is within the tolerance: a larger regression is ruled out. */
    withinTolerance: high <= 1 + tolerance,
  };
}
