#!/usr/bin/env node
// Before and after, in one sitting (issue 11's last point): runs bench/run.mjs's (b) and the
// 600 msg/s sweep from two built trees in alternating order, round after round, and writes
// every run and the comparison to bench/results/<stamp>-interleaved.{json,md} of this tree.
// The other tree's result files are copied here as `<name>-before-<label>.*`.
// Single runs spread widely on a shared machine, so the comparison is per metric over all
// runs: medians, their ratio with a 95% bootstrap interval, and a permutation p-value; and
// round by round, the two runs of a round being back to back, so that drift between rounds
// cancels: the per-round ratios' centre, its interval and a signed-rank p-value
// (tools/lib/bench/compare-runs.js).
//
//   node bench/interleave.mjs --before /work/wt/old --label af59db8 [--rounds 6]
//        [--scenarios b,sweep] [--rate 600] [--tolerance 0.1]
//   node bench/interleave.mjs --report bench/results/<stamp>-interleaved.json
//
// The before tree needs this tree's bench/ and tools/ (so both run the same load) and its
// dist/ built; this tree is the after tree, run with --no-build too. Needs the local servers,
// as bench/run.mjs. Written after every run, so an interrupted sitting keeps what it measured;
// --report reads a sitting's run files again and rewrites its summary. Ctrl-C stops after the
// current run.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { comparePairs, compareRuns } from '../tools/lib/bench/compare-runs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');
const SCENARIOS = ['b', 'sweep'];
const METRICS = [
  ['p50', 'delivery p50 ms'],
  ['p99', 'delivery p99 ms'],
  ['confirmMs', 'publisher-confirm wait ms'],
  ['chatCpuPct', 'chat-service CPU % of a core'],
];
const log = (m) => process.stderr.write(`[interleave ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const usage = (why) => {
  process.stderr.write(
    `${why}\nUsage: node bench/interleave.mjs --before <tree> --label <name> [--rounds 6] [--scenarios b,sweep] [--rate 600] [--tolerance 0.1]\n` +
      '       node bench/interleave.mjs --report bench/results/<stamp>-interleaved.json\n',
  );
  process.exit(2);
};

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const reportOf = opt('report');
/** The sitting: its settings and, for --report, its runs so far. */
const sitting = reportOf
  ? JSON.parse(readFileSync(reportOf, 'utf8'))
  : {
      stamp: new Date().toISOString().slice(0, 19).replace(/:/g, '-'),
      beforeRoot: opt('before'),
      label: opt('label'),
      rounds: Number(opt('rounds', 6)),
      scenarios: opt('scenarios', SCENARIOS.join(',')).split(','),
      rate: Number(opt('rate', 600)),
      tolerance: Number(opt('tolerance', 0.1)),
      runs: [],
    };
// Sittings written before the stamp was saved are named by their file.
sitting.stamp ??= basename(reportOf ?? '', '.json').replace(/-interleaved$/, '');
sitting.label ??= basename(resolve(sitting.beforeRoot ?? '.'));
const { label, rounds, scenarios, rate, tolerance, runs } = sitting;
if (!reportOf) {
  if (!sitting.beforeRoot) usage('--before is required');
  if (!existsSync(join(sitting.beforeRoot, 'bench', 'run.mjs'))) usage(`${sitting.beforeRoot} has no bench/run.mjs`);
  if (label === 'main') usage('--label must name the before tree, not main');
  if (!(Number.isInteger(rounds) && rounds >= 1)) usage('--rounds must be a whole number of rounds');
  if (rounds % 2) log('an odd number of rounds runs one tree first once more than the other');
  if (scenarios.some((s) => !SCENARIOS.includes(s))) usage(`--scenarios: ${SCENARIOS.join(', ')}`);
  if (!(rate > 0) || !(tolerance > 0)) usage('--rate and --tolerance must be positive numbers');
}

/** One bench/run.mjs scenario in `root`; resolves with the path of the results JSON it wrote. */
function runOnce(root, scenario) {
  const args = ['bench/run.mjs', '--no-build', '--only', scenario, '--seed', '0'];
  if (scenario === 'sweep') args.push('--rates', String(rate));
  return new Promise((done, fail) => {
    // Its own process group: a Ctrl-C in the terminal reaches only this script, which lets the
    // run finish (and clean up its stack) before stopping.
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], detached: true });
    // The tail of its log: the last "wrote <base>.json" names the results file.
    let tail = '';
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      tail = (tail + String(d)).slice(-4096);
    });
    child.on('error', fail);
    // 'close', not 'exit': the results line is among its last writes to stderr.
    child.on('close', (code) => {
      const written = [...tail.matchAll(/wrote (\S+)\.json/g)].pop()?.[1];
      if (written && code === 0) done(`${written}.json`);
      else fail(new Error(`bench/run.mjs --only ${scenario} in ${root} exited ${code}, wrote ${written ?? 'nothing'}`));
    });
  });
}

/**
 * What one run says: the scenario's row (the sweep's at `rate`). `ok` only for a run that
 * measured the whole load: no scenario error, every socket connected, every send acked.
 */
function figures(file, scenario) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const row = scenario === 'sweep' ? json.scenarios.sweep?.rows?.find((r) => r.rate === rate) : json.scenarios.b;
  const error = json.scenarios[`${scenario}Error`];
  if (!row) return { ok: false, error: error ?? `no ${scenario} result` };
  const cpu = row.sendPhaseCpu ?? {};
  return {
    p50: row.deliveryMs?.p50,
    p99: row.deliveryMs?.p99,
    confirmMs: row.chatConfirmMeanMs,
    chatCpuPct: Object.entries(cpu.cpuPct ?? {}).find(([k]) => k.startsWith('chat-service'))?.[1],
    machinePct: cpu.machinePct,
    unlistedPct: cpu.unlistedPct,
    sent: row.sent,
    lost: row.lost,
    duplicates: row.duplicates,
    // The sweep does not read history back (--no-verify-history): null there.
    persisted: row.persisted,
    ok: !error && row.verdict?.ok === true && row.connectFailures === 0 && row.acked === row.sent,
    ...(error ? { error } : {}),
  };
}

function summary() {
  const out = {};
  for (const scenario of scenarios) {
    const all = runs.filter((r) => r.scenario === scenario);
    const valid = all.filter((r) => r.ok);
    const of = (tree, key) =>
      valid
        .filter((r) => r.tree === tree)
        .map((r) => r[key])
        .filter(Number.isFinite);
    /** Per round, the figure of each tree's run, where both counted. */
    const pairsOf = (key) => {
      const pairs = [];
      for (let round = 1; round <= rounds; round++) {
        const [b, a] = [label, 'main'].map((tree) => valid.find((r) => r.round === round && r.tree === tree)?.[key]);
        if (Number.isFinite(b) && Number.isFinite(a)) pairs.push([b, a]);
      }
      return pairs;
    };
    out[scenario] = Object.fromEntries(
      METRICS.map(([key]) => {
        const before = of(label, key);
        const after = of('main', key);
        const runCounts = [before.length, after.length];
        const pairs = pairsOf(key);
        return [
          key,
          {
            runs: runCounts,
            ...(Math.min(...runCounts) >= 2 ? compareRuns(before, after, { tolerance }) : {}),
            ...(pairs.length >= 2
              ? {
                  paired: comparePairs(
                    pairs.map(([b]) => b),
                    pairs.map(([, a]) => a),
                    { tolerance },
                  ),
                }
              : {}),
          },
        ];
      }),
    );
    // Over every run, failed ones too: a loss is what makes a run fail.
    out[scenario].lostOrDuplicated = all.reduce((n, r) => n + (r.lost ?? 0) + (r.duplicates ?? 0), 0);
    out[scenario].failedRuns = all.length - valid.length;
  }
  return out;
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const pct = (x) => `${Number((x * 100).toPrecision(3))}%`;
const fmtP = (p) => (p < 0.001 ? '< 0.001' : fmt(p, 3));

function markdown(s) {
  const lines = [
    `# Before (\`${label}\`) and after (\`main\`), interleaved (${sitting.stamp})`,
    '',
    `\`node bench/interleave.mjs --before ${sitting.beforeRoot} --label ${label} --rounds ${rounds} --scenarios ${scenarios.join(',')} --rate ${rate} --tolerance ${tolerance}\`: ` +
      `each round runs every scenario in both trees, \`${label}\` first in odd rounds and \`main\` first in even ones ` +
      `(\`node bench/run.mjs --no-build --only <scenario> --seed 0\`, the sweep with \`--rates ${rate}\`). ` +
      'A run counts when it had no scenario error, every socket connected and every send was acked. ' +
      'Ratios are main over before; the interval is a nominal 95% percentile bootstrap of the ratio of medians, ' +
      'p a permutation test of the difference of medians (tools/lib/bench/compare-runs.js). ' +
      `"Regression over ${pct(tolerance)} ruled out": yes when the interval's top is at most 1 + ${tolerance}; ` +
      'no means it is not ruled out, not that it happened.',
    '',
  ];
  for (const scenario of scenarios) {
    const title = scenario === 'sweep' ? `Sweep at ${rate} msg/s` : `(${scenario}) at 500 msg/s`;
    lines.push(
      `## ${title}`,
      '',
      `| metric | runs (before, main) | before median | main median | ratio | 95% interval | p | regression over ${pct(tolerance)} ruled out |`,
      '|---|---|---|---|---|---|---|---|',
    );
    for (const [key, name] of METRICS) {
      const c = s[scenario][key];
      lines.push(
        c.ratio === undefined
          ? `| ${name} | ${c.runs.join(', ')} | too few runs to compare | | | | | |`
          : `| ${name} | ${c.runs.join(', ')} | ${fmt(c.before)} | ${fmt(c.after)} | ${fmt(c.ratio, 2)} | ${fmt(c.low, 2)}–${fmt(c.high, 2)} | ${fmtP(c.p)} | ${c.withinTolerance ? 'yes' : 'no'} |`,
      );
    }
    lines.push(
      '',
      `Round by round (each round's two runs back to back, so drift between rounds cancels): main over before per round, ` +
        `their Hodges–Lehmann centre, a 95% bootstrap interval over rounds, p the Wilcoxon signed-rank test (comparePairs).`,
      '',
      `| metric | rounds | main lower in | ratio | 95% interval | p | regression over ${pct(tolerance)} ruled out |`,
      '|---|---|---|---|---|---|---|',
    );
    for (const [key, name] of METRICS) {
      const c = s[scenario][key].paired;
      lines.push(
        c === undefined
          ? `| ${name} | too few rounds with both runs | | | | | |`
          : `| ${name} | ${c.pairs} | ${c.better} | ${fmt(c.ratio, 2)} | ${fmt(c.low, 2)}–${fmt(c.high, 2)} | ${fmtP(c.p)} | ${c.withinTolerance ? 'yes' : 'no'} |`,
      );
    }
    lines.push(
      '',
      `Lost or duplicated deliveries over all runs: ${s[scenario].lostOrDuplicated}; runs left out: ${s[scenario].failedRuns}.`,
      '',
      '| round | tree | results file | p50 / p99 ms | confirm ms | chat CPU | machine (unlisted) | sent | lost / dup | stored once |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of runs.filter((x) => x.scenario === scenario)) {
      const left = r.ok ? '' : ` (left out: ${r.error ?? 'failed'})`;
      lines.push(
        `| ${r.round} | \`${r.tree}\` | \`${r.file}\` | ${fmt(r.p50)} / ${fmt(r.p99)} | ${fmt(r.confirmMs, 2)} | ${fmt(r.chatCpuPct, 0)}% | ${fmt(r.machinePct, 0)}% (${fmt(r.unlistedPct, 0)}%) | ${r.sent ?? '–'} | ${r.lost ?? '–'} / ${r.duplicates ?? '–'} | ${r.persisted ?? '–'}${left} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

function save() {
  const s = summary();
  const base = join(RESULTS, `${sitting.stamp}-interleaved`);
  writeFileSync(`${base}.json`, JSON.stringify({ ...sitting, summary: s }, null, 2) + '\n');
  writeFileSync(`${base}.md`, markdown(s));
  log(`wrote ${base}.md`);
}

if (reportOf) {
  // Each run's figures read again from its results file (copied here for the before tree).
  for (const r of runs)
    if (r.file !== '–') Object.assign(r, figures(join(RESULTS, r.file.replace(/\.md$/, '.json')), r.scenario));
  save();
} else {
  let stopping = false;
  process.on('SIGINT', () => {
    stopping = true;
    log('stopping after this run');
  });
  const trees = [
    { name: label, root: resolve(sitting.beforeRoot), suffix: `-before-${label}` },
    { name: 'main', root: ROOT, suffix: '' },
  ];
  for (let round = 1; round <= rounds && !stopping; round++) {
    const order = round % 2 ? trees : [...trees].reverse();
    for (const scenario of scenarios) {
      for (const tree of order) {
        if (stopping) break;
        log(`round ${round}/${rounds}: ${scenario} in ${tree.name}`);
        try {
          const file = await runOnce(tree.root, scenario);
          // The before tree's files come here under a name that says which tree made them.
          const name = `${basename(file, '.json')}${tree.suffix}`;
          if (tree.suffix)
            for (const ext of ['json', 'md'])
              copyFileSync(file.replace(/\.json$/, `.${ext}`), join(RESULTS, `${name}.${ext}`));
          runs.push({ round, scenario, tree: tree.name, file: `${name}.md`, ...figures(file, scenario) });
        } catch (err) {
          // A run that wrote nothing is kept as left out; the sitting goes on.
          log(`run failed: ${err.message}`);
          runs.push({ round, scenario, tree: tree.name, file: '–', ok: false, error: err.message });
        }
        save();
      }
    }
  }
  log('done');
}
