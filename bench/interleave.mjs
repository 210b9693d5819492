#!/usr/bin/env node
// Before and after, in one sitting (issue 11's last point): runs bench/run.mjs's (b) and the
// 600 msg/s sweep from two built trees in alternating order, round after round, and writes
// every run and the comparison to bench/results/<stamp>-interleaved.{json,md} of this tree.
// The other tree's result files are copied here as `<name>-before-<label>.*`.
// Single runs spread widely on a shared machine, so the comparison is per metric over all
// runs: medians, their ratio with a 95% bootstrap interval, and a permutation p-value
// (tools/lib/bench/compare-runs.js).
//
//   node bench/interleave.mjs --before /work/wt/old --label af59db8 [--rounds 6]
//        [--scenarios b,sweep] [--rate 600] [--tolerance 0.1]
//
// The before tree needs this tree's bench/ and tools/ (so both run the same load) and its
// dist/ built; this tree is the after tree, run with --no-build too. Needs the local servers,
// as bench/run.mjs. Written after every run, so an interrupted sitting keeps what it measured.
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareRuns } from '../tools/lib/bench/compare-runs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const beforeRoot = opt('before');
if (!beforeRoot) {
  process.stderr.write(
    'Usage: node bench/interleave.mjs --before <tree> --label <name> [--rounds 6] [--scenarios b,sweep] [--rate 600] [--tolerance 0.1]\n',
  );
  process.exit(2);
}
const label = opt('label', basename(resolve(beforeRoot)));
const rounds = Number(opt('rounds', 6));
const scenarios = opt('scenarios', 'b,sweep').split(',');
const rate = Number(opt('rate', 600));
const tolerance = Number(opt('tolerance', 0.1));
const trees = [
  { name: label, root: resolve(beforeRoot), suffix: `-before-${label}` },
  { name: 'main', root: ROOT, suffix: '' },
];
const stamp = new Date().toISOString().slice(0, 16).replace(/:/g, '-');
const log = (m) => process.stderr.write(`[interleave ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** One bench/run.mjs scenario in `tree`; resolves with the path of the results JSON it wrote. */
function runOnce(tree, scenario) {
  const args = ['bench/run.mjs', '--no-build', '--only', scenario, '--seed', '0'];
  if (scenario === 'sweep') args.push('--rates', String(rate));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: tree.root, stdio: ['ignore', 'inherit', 'pipe'] });
    // The tail of its log: the last "wrote <base>.json" names the results file.
    let tail = '';
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      tail = (tail + String(d)).slice(-4096);
    });
    child.on('exit', (code) => {
      const written = [...tail.matchAll(/wrote (\S+)\.json/g)].pop()?.[1];
      if (written) done(`${written}.json`);
      else fail(new Error(`bench/run.mjs ${scenario} in ${tree.root} exited ${code}, wrote nothing`));
    });
  });
}

/** What one run says: the scenario's row (the sweep's at `rate`). */
function figures(file, scenario) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const row = scenario === 'sweep' ? json.scenarios.sweep?.rows?.find((r) => r.rate === rate) : json.scenarios.b;
  if (!row) throw new Error(`${file} has no ${scenario} result`);
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
    persisted: row.persisted,
    ok: row.verdict?.ok === true && row.connectFailures === 0,
  };
}

const runs = [];
const METRICS = [
  ['p50', 'delivery p50 ms'],
  ['p99', 'delivery p99 ms'],
  ['confirmMs', 'publisher-confirm wait ms'],
  ['chatCpuPct', 'chat-service CPU % of a core'],
];

function summary() {
  const out = {};
  for (const scenario of scenarios) {
    const valid = runs.filter((r) => r.scenario === scenario && r.ok);
    const of = (tree, key) =>
      valid
        .filter((r) => r.tree === tree)
        .map((r) => r[key])
        .filter(Number.isFinite);
    out[scenario] = Object.fromEntries(
      METRICS.map(([key]) => {
        const before = of(label, key);
        const after = of('main', key);
        return [
          key,
          before.length >= 2 && after.length >= 2
            ? { runs: [before.length, after.length], ...compareRuns(before, after, { tolerance }) }
            : null,
        ];
      }),
    );
    out[scenario].lostOrDuplicated = valid.reduce((n, r) => n + (r.lost ?? 0) + (r.duplicates ?? 0), 0);
    out[scenario].failedRuns = runs.filter((r) => r.scenario === scenario && !r.ok).length;
  }
  return out;
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');

function markdown(s) {
  const lines = [
    `# Before (\`${label}\`) and after (\`main\`), interleaved (${stamp})`,
    '',
    `\`node bench/interleave.mjs --before ${beforeRoot} --label ${label} --rounds ${rounds} --scenarios ${scenarios.join(',')} --rate ${rate} --tolerance ${tolerance}\`: ` +
      `each round runs every scenario in both trees, \`${label}\` first in odd rounds and \`main\` first in even ones ` +
      `(\`node bench/run.mjs --no-build --only <scenario> --seed 0\`, the sweep with \`--rates ${rate}\`). ` +
      'Ratios are main over before; the interval is a 95% bootstrap of the ratio of medians, p a permutation test of the difference of medians. ' +
      `"≤ ${tolerance * 100}%" says whether the interval rules out a regression larger than that.`,
    '',
  ];
  for (const scenario of scenarios) {
    const title = scenario === 'sweep' ? `Sweep at ${rate} msg/s` : `(${scenario})`;
    lines.push(
      `## ${title}`,
      '',
      '| metric | runs (before, main) | before median | main median | ratio | 95% interval | p | ≤ ' +
        `${tolerance * 100}% |`,
      '|---|---|---|---|---|---|---|---|',
    );
    for (const [key, name] of METRICS) {
      const c = s[scenario][key];
      if (!c) continue;
      lines.push(
        `| ${name} | ${c.runs.join(', ')} | ${fmt(c.before)} | ${fmt(c.after)} | ${fmt(c.ratio, 2)} | ${fmt(c.low, 2)}–${fmt(c.high, 2)} | ${fmt(c.p, 3)} | ${c.withinTolerance ? 'yes' : 'no'} |`,
      );
    }
    lines.push(
      '',
      `Lost or duplicated deliveries over all runs: ${s[scenario].lostOrDuplicated}; failed runs (left out): ${s[scenario].failedRuns}.`,
      '',
    );
    lines.push(
      '| # | tree | results file | p50 / p99 ms | confirm ms | chat CPU | machine (unlisted) | sent | lost / dup | stored |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of runs.filter((x) => x.scenario === scenario)) {
      lines.push(
        `| ${r.round} | \`${r.tree}\` | \`${r.file}\` | ${fmt(r.p50)} / ${fmt(r.p99)} | ${fmt(r.confirmMs, 2)} | ${fmt(r.chatCpuPct, 0)}% | ${fmt(r.machinePct, 0)}% (${fmt(r.unlistedPct, 0)}%) | ${r.sent ?? '–'} | ${r.lost ?? '–'} / ${r.duplicates ?? '–'} | ${r.persisted ?? '–'}${r.ok ? '' : ' (failed)'} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

function save() {
  const s = summary();
  const base = join(RESULTS, `${stamp}-interleaved`);
  writeFileSync(
    `${base}.json`,
    JSON.stringify({ label, beforeRoot, rounds, scenarios, rate, tolerance, runs, summary: s }, null, 2) + '\n',
  );
  writeFileSync(`${base}.md`, markdown(s));
  log(`wrote ${base}.md`);
}

for (let round = 1; round <= rounds; round++) {
  const order = round % 2 ? trees : [...trees].reverse();
  for (const scenario of scenarios) {
    for (const tree of order) {
      log(`round ${round}/${rounds}: ${scenario} in ${tree.name}`);
      try {
        const file = await runOnce(tree, scenario);
        // The before tree's files come here under a name that says which tree made them.
        const name = `${basename(file, '.json')}${tree.suffix}`;
        if (tree.suffix)
          for (const ext of ['json', 'md'])
            copyFileSync(file.replace(/\.json$/, `.${ext}`), join(RESULTS, `${name}.${ext}`));
        runs.push({ round, scenario, tree: tree.name, file: `${name}.md`, ...figures(file, scenario) });
      } catch (err) {
        // A run that wrote nothing is kept as failed; the sitting goes on.
        log(`run failed: ${err.message}`);
        runs.push({ round, scenario, tree: tree.name, file: '–', ok: false, error: err.message });
      }
      save();
    }
  }
}
log('done');
