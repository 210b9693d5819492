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

/** Sign flips enumerated exactly up to this many pairs (2^16 = 65,536 of them), sampled beyond. */
const EXACT_FLIPS_MAX_PAIRS = 16;

/** The Hodges–Lehmann estimate: the median of every pairwise mean (i ≤ j) of `xs`. */
function hodgesLehmann(xs) {
  const means = [];
  for (let i = 0; i < xs.length; i++) for (let j = i; j < xs.length; j++) means.push((xs[i] + xs[j]) / 2);
  return median(means);
}

/** Ranks of `xs` (1-based, ties sharing their average rank). */
function ranks(xs) {
  const order = xs.map((x, i) => [x, i]).sort((a, b) => a[0] - b[0]);
  const out = new Array(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/**
 * `after` against `before` run for run (index i of each from the same round of a sitting, run
 * back to back): what drifts between rounds (other work on the machine, a database's vacuum)
 * is shared by both runs of a round and cancels in its ratio, so this sees through drift that
 * widens compareRuns' interval. On the per-round log ratios: the estimate is their
 * Hodges–Lehmann centre (one wild round moves it little), its nominal 95% interval a percentile
 * bootstrap over rounds, and p the two-sided Wilcoxon signed-rank test, exact up to 16 rounds
 * (of the 2^n ways of swapping the runs within rounds, how many give a signed rank sum at least
 * as far from its centre; rounds with equal runs are left out of it). `better` counts the
 * rounds where `after` was lower. Same checks as compareRuns, and both lists the same length.
 */
export function comparePairs(before, after, { resamples = 10_000, seed = 1, tolerance = 0.1 } = {}) {
  checkRuns('before', before);
  checkRuns('after', after);
  if (before.length !== after.length)
    throw new RangeError(`pairs: ${before.length} before and ${after.length} after runs`);
  const random = seeded(seed);
  const logs = before.map((b, i) => Math.log(after[i] / b));
  const centres = [];
  for (let i = 0; i < resamples; i++) centres.push(hodgesLehmann(resample(logs, random)));
  centres.sort((a, b) => a - b);
  const nonzero = logs.filter((x) => Math.abs(x) > 1e-12);
  const n = nonzero.length;
  // Rounded before ranking: log(a/b) and log(b/a) may differ in the last bit, and whole-percent
  // figures give such mirror pairs often; they must tie.
  const rank = ranks(nonzero.map((x) => Number(Math.abs(x).toPrecision(12))));
  const centre = rank.reduce((a, r) => a + r, 0) / 2;
  const signedSum = (negate) => rank.reduce((a, r, i) => a + (nonzero[i] > 0 !== negate(i) ? r : 0), 0);
  const observed = Math.abs(signedSum(() => false) - centre);
  const exact = n <= EXACT_FLIPS_MAX_PAIRS;
  const flips = exact ? 2 ** n : resamples;
  let asLarge = 0;
  for (let f = 0; f < flips; f++) {
    const sum = signedSum(exact ? (i) => ((f >> i) & 1) === 1 : () => random() < 0.5);
    if (Math.abs(sum - centre) >= observed - 1e-9) asLarge++;
  }
  const high = Math.exp(quantile(centres, 0.975));
  return {
    pairs: logs.length,
    ratio: Math.exp(hodgesLehmann(logs)),
    low: Math.exp(quantile(centres, 0.025)),
    high,
    p: exact ? asLarge / flips : (asLarge + 1) / (flips + 1),
    better: logs.filter((x) => x < 0).length,
    withinTolerance: high <= 1 + tolerance,
  };
}
