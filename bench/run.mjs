#!/usr/bin/env node
// `npm run bench`: the standard performance set of issue 6 on the local stack, written to
// bench/results/<date>.json and bench/results/<date>.md.
//
//   node bench/run.mjs [--quick] [--no-build] [--only confirm,a,b,sweep,c,d,e,drainBench] [--rates 1000,2000]
//
// Builds the services first (tsc; --no-build uses the dist/ already there). Needs Redis, RabbitMQ (with management API) and MongoDB
// (REDIS_URL, AMQP_URL, MONGO_URL, RABBITMQ_MANAGEMENT_URL; defaults are the local ones). Every
// stack runs in its own vhost / key prefix / database, removed afterwards. --quick runs the same
// scenarios at small sizes (at most 100 sockets and 200 msg/s) as a smoke test.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { publishBacklog } from '../tools/lib/bench/backlog.js';
import { measureConfirmLatency } from '../tools/lib/bench/confirm-latency.js';
import { summarizeCpuProfile } from '../tools/lib/bench/cpu-profile.js';
import { startCpuSampler } from '../tools/lib/bench/cpu-sampler.js';
import { metricValue, startStack } from '../tools/lib/bench/stack.js';
import { buildBackend } from '../tools/lib/build.js';
import { registerOrLogin } from '../tools/lib/http.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(ROOT, 'tools', 'socket_test.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---- options ----
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only'));
const only = onlyArg
  ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1]).split(',')
  : null;
const ALL = ['confirm', 'b', 'a', 'c', 'd', 'e', 'sweep', 'drainBench'];
if (argv.includes('--help') || (only && only.some((s) => !ALL.includes(s)))) {
  process.stderr.write(
    `Usage: node bench/run.mjs [--quick] [--no-build] [--only ${ALL.join(',')}] [--rates <msg/s,...> for the sweep]\n`,
  );
  process.exit(argv.includes('--help') ? 0 : 2);
}
const want = (s) => !only || only.includes(s);
const build = !argv.includes('--no-build');
const ratesArg = argv.find((a) => a.startsWith('--rates'));
const sweepRates = ratesArg
  ? (ratesArg.includes('=') ? ratesArg.split('=')[1] : argv[argv.indexOf(ratesArg) + 1]).split(',').map(Number)
  : null;

/** Sizes: the issue's standard set, or a smoke-test set within 100 sockets / 200 msg/s. */
const P = quick
  ? {
      accounts: 10,
      a: { users: 100, duration: 3 },
      b: { users: 60, rooms: 6, rate: 100, duration: 8, ramp: 1 },
      sweep: { users: 60, rooms: 6, rates: [150, 200], duration: 4, ramp: 1 },
      d: { backlog: 2000 },
      e: { seconds: 3, connections: 4 },
      confirm: { count: 200, pacedRate: 100 },
    }
  : {
      accounts: 100,
      a: { users: 10_000, duration: 15 },
      b: { users: 1000, rooms: 50, rate: 500, duration: 60, ramp: 5 },
      sweep: { users: 1000, rooms: 50, rates: [1000, 1500, 2000], duration: 20, ramp: 3 },
      d: { backlog: 20_000 },
      e: { seconds: 10, connections: 20 },
      confirm: { count: 2000, pacedRate: 500 },
    };

const TARGETS = {
  aRssMb: 450,
  aConnectPerSec: 1000,
  bP99Ms: 30,
  sweepP99Ms: 100,
  sweepRate: 2000,
  eCachedPerSec: 2000,
  eCachedP99Ms: 20,
};

/** The shared servers (DESIGN.md §6 names); each stack gets its own isolation on them. */
const SERVICES = {
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
  rabbitManagementUrl: process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672',
  source: 'env',
};

const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const RESULTS = join(ROOT, 'bench', 'results');
const WORK = join(os.tmpdir(), `chat-bench-${stamp}`);
const PROFILES = join(WORK, 'profiles');
mkdirSync(RESULTS, { recursive: true });
mkdirSync(PROFILES, { recursive: true });

/**
 * Service settings for load from one machine: per-IP and per-user limits raised (all clients
 * share one IP; 100 accounts send 500+ msg/s), bcrypt at the production minimum. Everything
 * else is the services' defaults.
 */
const SERVICE_ENV = {
  BCRYPT_COST: '10',
  REGISTER_MAX_PER_IP: '1000000',
  LOGIN_MAX_FAILURES_PER_IP: '1000000',
  SEND_RATE_LIMIT_PER_MIN: '100000',
  // (a) opens 10,000 sockets over 100 accounts: 100 per account.
  SOCKETS_PER_USER_MAX: '100000',
  // (e) reads history with one account from many connections.
  READ_RATE_LIMIT_PER_SEC: '100000',
  ALLOWED_ORIGINS: 'http://localhost:3000',
};

const CHILD_TIMEOUT_MS = 10 * 60_000;
/** The room (d) fills with a backlog and (e) reads history from. */
const BACKLOG_ROOM = 'bench-backlog';

let stackSeq = 0;
async function withStack(label, opts, fn) {
  const logDir = join(WORK, `${++stackSeq}-${label}`);
  mkdirSync(logDir, { recursive: true });
  log(`starting stack "${label}" (${opts.chatNodes ?? 1} chat node(s)), logs in ${logDir}`);
  const iso = await createIsolation(SERVICES, `bench ${label}`);
  let stack;
  try {
    stack = await startStack({ root: ROOT, iso, env: SERVICE_ENV, logDir, ...opts });
    return await fn(stack);
  } finally {
    await stack?.stop();
    await iso.cleanup();
  }
}

/**
 * Run tools/socket_test.js (its CPU followed as "client" by `cpu`, a sampler of `sampled`);
 * resolves with its exit code, JSON report and the command line.
 */
async function socketTest(name, args, cpu) {
  const json = join(WORK, `${name}.json`);
  const shown = [...args, '--progress-interval', '5', '--connect-concurrency', '200'];
  const full = [...shown, '--json', json];
  const command = `node tools/socket_test.js ${shown.join(' ')}`;
  log(`${name}: ${command}`);
  const child = spawn(process.execPath, [SCRIPT, ...full], { stdio: ['ignore', 'pipe', 'pipe'] });
  cpu?.track('client', child.pid);
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => process.stderr.write(`  ${name} | ${d}`));
  // The script bounds itself; this only guards the bench against a hang.
  const guard = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(guard);
  process.stderr.write(stdout.replace(/^/gm, `  ${name} | `) + '\n');
  let report = null;
  try {
    report = JSON.parse(readFileSync(json, 'utf8'));
  } catch {
    log(`${name}: no JSON report (exit ${code})`);
  }
  return { code, report, command };
}

/**
 * While `during(cpu)` runs: each process's peak RSS (every second) and CPU over the whole of
 * it; and CPU samples (every 500 ms) of these processes, whatever `during` adds with
 * `cpu.track`, the shared servers and the machine, counted over the send phase of the
 * socket_test report `during` resolves with — the time that sets the delivery latency.
 */
async function sampled(procs, during) {
  const peak = new Map(procs.map((p) => [p.name, 0]));
  const cpu0 = new Map(procs.map((p) => [p.name, p.cpu()]));
  const t0 = performance.now();
  const timer = setInterval(() => {
    for (const p of procs) peak.set(p.name, Math.max(peak.get(p.name), p.memory() ?? 0));
  }, 1000);
  const cpu = startCpuSampler(Object.fromEntries(procs.map((p) => [p.name, p.pid])));
  let result;
  try {
    result = await during(cpu);
  } finally {
    clearInterval(timer);
    cpu.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const servers = Object.fromEntries(
    procs.map((p) => [
      p.name,
      {
        peakRssMb: mb(peak.get(p.name)),
        cpuSeconds: round(p.cpu() - cpu0.get(p.name), 1),
        cpuPct: round((100 * (p.cpu() - cpu0.get(p.name))) / seconds, 0),
      },
    ]),
  );
  const phases = result?.report?.phases;
  const sendPhaseCpu = phases?.send && phases?.drain ? cpu.between(phases.send, phases.drain) : null;
  return { result, servers, sendPhaseCpu };
}

const monotonicOffsetUs = Number(process.hrtime.bigint() / 1000n) - Date.now() * 1000;
const epochToMonotonicUs = (epochMs) => epochMs * 1000 + monotonicOffsetUs;
const mb = (bytes) => (bytes === null || bytes === undefined ? null : round(bytes / 1048576, 1));
const round = (x, d = 1) =>
  x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d;

/** Mean publisher-confirm wait (ms) from chat-service's histogram, since the last reading. */
async function confirmMeanMs(node, since) {
  const sum = await metricValue(node.url, 'chat_publish_confirm_seconds_sum');
  const count = await metricValue(node.url, 'chat_publish_confirm_seconds_count');
  const now = { sum: sum ?? 0, count: count ?? 0 };
  const d = since ? { sum: now.sum - since.sum, count: now.count - since.count } : now;
  return { reading: now, meanMs: d.count > 0 ? round((1000 * d.sum) / d.count, 2) : null };
}

function loadArgs(url, p, extra = [], { verifyHistory = true } = {}) {
  return [
    ...['--url', url, '--users', String(p.users), '--accounts', String(P.accounts), '--rooms', String(p.rooms)],
    ...[
      '--rate',
      String(p.rate),
      '--duration',
      String(p.duration),
      '--ramp',
      String(p.ramp),
      '--persist-timeout',
      '120',
    ],
    ...(verifyHistory ? [] : ['--no-verify-history']),
    ...extra,
  ];
}

/** The figures of one load run that go into the tables. */
function loadFigures(r) {
  if (!r.report) return { exitCode: r.code, command: r.command, error: 'no report' };
  const { messages: m, deliveries: d, persistence: p, connections: c } = r.report;
  return {
    command: r.command,
    exitCode: r.code,
    connected: c.connected,
    connectFailures: c.failed,
    sent: m.sent,
    sendRatePerSec: round(m.sendRatePerSec, 0),
    acked: m.acked,
    ackErrors: m.errorsByCode,
    ackMs: m.ackMs,
    deliveryMs: d.latencyMs,
    deliveriesPerSec: round(d.perSec, 0),
    expected: d.expected,
    received: d.received,
    lost: d.lost,
    duplicates: d.duplicates,
    outOfOrder: d.outOfOrder,
    persisted: p.persisted,
    persistMissing: p.missing,
    persistDuplicated: p.duplicated,
    persistCompleteAfterMs: round(p.completeAfterMs, 0),
    persistPollRoundMs: round(p.pollRoundMs, 0),
    clientCpuSeconds: round(r.report.client.cpuSeconds, 1),
    clientLoopDelayP99Ms: round(r.report.client.eventLoopDelayP99Ms, 1),
    verdict: r.report.verdict,
    phases: r.report.phases,
  };
}

/** A load run met a p99 target only if every send was acked, nothing was lost, and p99 is under it. */
const meetsP99 = (r, p99Ms) =>
  r.acked > 0 && r.acked === r.sent && r.lost === 0 && r.deliveryMs?.p99 !== null && r.deliveryMs?.p99 < p99Ms;

const results = {
  tool: 'bench/run.mjs',
  startedAt: new Date().toISOString(),
  quick,
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGb: round(os.totalmem() / 1073741824, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    mongo: 'FerretDB v1.24 (PostgreSQL backend) standing in for MongoDB',
  },
  serviceEnv: SERVICE_ENV,
  parameters: P,
  targets: TARGETS,
  scenarios: {},
};

async function scenarioConfirm() {
  const iso = await createIsolation(SERVICES, 'bench confirm');
  const out = [];
  try {
    // 200 bytes is a typical message; 4200 bytes (a 4000-character text) is over amqplib's
    // 2048-byte single-write threshold, so a publish takes several writes: Nagle's case.
    const cases = [
      { size: 200 },
      { size: 200, ratePerSec: P.confirm.pacedRate },
      { size: 4200, count: Math.ceil(P.confirm.count / 4) },
    ];
    for (const noDelay of [true, false]) {
      for (const c of cases) {
        const r = await measureConfirmLatency({ amqpUrl: iso.amqpUrl, noDelay, count: P.confirm.count, ...c });
        log(`confirm noDelay=${noDelay} ${r.mode}: p50 ${r.p50} ms, p99 ${r.p99} ms`);
        out.push(r);
      }
    }
  } finally {
    await iso.cleanup();
  }
  results.scenarios.confirm = out;
}

async function scenarioA() {
  const profDir = join(PROFILES, 'a');
  mkdirSync(profDir, { recursive: true });
  const chatNodeArgs = ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
  await withStack('a-capacity', { chatNodes: 1, chatNodeArgs }, async (stack) => {
    const node = stack.chat[0];
    await sleep(2000);
    const before = { rss: node.memory(), heap: await node.heapUsed() };
    let atPeak = null;
    let stopWatch = false;
    const watch = (async () => {
      // Sample once every client is connected (the script then holds for --duration).
      for (;;) {
        const n = await metricValue(node.url, 'chat_connected_sockets').catch(() => null);
        if (n !== null && n >= P.a.users) {
          await sleep(2000);
          atPeak = {
            sockets: await metricValue(node.url, 'chat_connected_sockets'),
            rss: node.memory(),
            heap: await node.heapUsed(),
          };
          return;
        }
        if (stopWatch) return;
        await sleep(250);
      }
    })();
    const run = await socketTest('a-capacity', [
      ...['--url', stack.url, '--chat-urls', node.url, '--users', String(P.a.users), '--accounts', String(P.accounts)],
      ...[
        '--idle',
        '--workers',
        '2',
        '--duration',
        String(P.a.duration),
        '--connect-timeout',
        '30',
        '--max-connect-failures',
        '0',
      ],
    ]);
    stopWatch = true;
    await watch;
    const c = run.report?.connections;
    results.scenarios.a = {
      command: run.command,
      exitCode: run.code,
      connected: c?.connected,
      connectFailures: c?.failed,
      failureReasons: c?.failureReasons,
      connectPerSec: round(c?.ratePerSec, 0),
      connectMs: c?.connectMs,
      rssBeforeMb: mb(before.rss),
      heapBeforeMb: mb(before.heap),
      rssAtPeakMb: mb(atPeak?.rss),
      heapAtPeakMb: mb(atPeak?.heap),
      socketsAtPeak: atPeak?.sockets ?? null,
      rssPerConnectionKb: atPeak ? round((atPeak.rss - before.rss) / 1024 / P.a.users, 1) : null,
      heapPerConnectionKb: atPeak ? round((atPeak.heap - before.heap) / 1024 / P.a.users, 1) : null,
      clientRssMb: mb(run.report?.client.rssBytes),
      phases: run.report?.phases,
    };
  });
  results.scenarios.aProfile = profileSummary(profDir, results.scenarios.a?.phases, 'connect', 'hold');
}

async function scenarioB() {
  // One node, straight to it; chat-service profiled (written when it stops).
  const profDir = join(PROFILES, 'b');
  mkdirSync(profDir, { recursive: true });
  await withStack(
    'b-one-node',
    { chatNodes: 1, chatNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] },
    async (stack) => {
      const node = stack.chat[0];
      const c0 = await confirmMeanMs(node);
      const {
        result: run,
        servers,
        sendPhaseCpu,
      } = await sampled(stack.procs, (cpu) =>
        socketTest('b-one-node', loadArgs(stack.url, P.b, ['--chat-urls', node.url]), cpu),
      );
      results.scenarios.b = {
        ...loadFigures(run),
        servers,
        sendPhaseCpu,
        chatConfirmMeanMs: (await confirmMeanMs(node, c0.reading)).meanMs,
      };
    },
  );
  results.scenarios.bProfile = profileSummary(profDir, results.scenarios.b?.phases, 'send', 'drain');
}

/**
 * The chat-service profile written to `dir`, counted over one phase of the socket_test run
 * (`from` until `to`, epoch ms in its report) — the profile clock is CLOCK_MONOTONIC µs.
 */
function profileSummary(dir, phases, from, to) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return { error: 'no .cpuprofile written' };
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const window = phases?.[from]
    ? { fromUs: epochToMonotonicUs(phases[from]), toUs: epochToMonotonicUs(phases[to] ?? phases.close) }
    : {};
  return {
    file: join(dir, file),
    window: phases?.[from] ? `${from} phase` : 'whole process',
    ...summarizeCpuProfile(profile, { top: 20, ...window }),
  };
}

async function scenarioSweep() {
  await withStack('sweep-one-node', { chatNodes: 1 }, async (stack) => {
    const node = stack.chat[0];
    const rows = [];
    for (const rate of sweepRates ?? P.sweep.rates) {
      const c0 = await confirmMeanMs(node);
      const {
        result: run,
        servers,
        sendPhaseCpu,
      } = await sampled(stack.procs, (cpu) =>
        // History is checked in (b) and (c); here it would wait out a growing backlog per step.
        socketTest(
          `sweep-${rate}`,
          loadArgs(stack.url, { ...P.sweep, rate }, ['--chat-urls', node.url], { verifyHistory: false }),
          cpu,
        ),
      );
      rows.push({
        rate,
        ...loadFigures(run),
        servers,
        sendPhaseCpu,
        chatConfirmMeanMs: (await confirmMeanMs(node, c0.reading)).meanMs,
      });
    }
    const under = rows.filter((r) => meetsP99(r, TARGETS.sweepP99Ms));
    results.scenarios.sweep = {
      rows,
      highestRateUnderP99Target: under.length ? Math.max(...under.map((r) => r.rate)) : null,
    };
  });
}

async function scenarioC() {
  await withStack('c-two-nodes', { chatNodes: 2 }, async (stack) => {
    if (want('c')) {
      const c0 = await Promise.all(stack.chat.map((n) => confirmMeanMs(n)));
      const {
        result: run,
        servers,
        sendPhaseCpu,
      } = await sampled(stack.procs, (cpu) => socketTest('c-two-nodes', loadArgs(stack.url, P.b), cpu));
      const means = await Promise.all(stack.chat.map((n, i) => confirmMeanMs(n, c0[i].reading)));
      results.scenarios.c = {
        ...loadFigures(run),
        servers,
        sendPhaseCpu,
        chatConfirmMeanMs: means.map((m) => m.meanMs),
      };
    }
    if (want('d')) await scenarioD(stack);
    if (want('e')) await scenarioE(stack);
  });
}

/**
 * Persistence backlog: message-service stopped, `backlog` messages published to the exchange
 * (as chat-service would), message-service started; time until its consumer has stored them
 * all (its persist_messages_stored_total counter, which starts at 0 in the new process).
 */
async function scenarioD(stack) {
  const n = P.d.backlog;
  await stack.message.stop();
  const { publishPerSec } = await publishBacklog(stack.iso.amqpUrl, BACKLOG_ROOM, n);
  log(`d: ${n} messages queued at ${round(publishPerSec, 0)}/s; starting message-service`);
  const tStart = performance.now();
  const proc = await stack.restartMessageService();
  const tReady = performance.now();
  let stored = 0;
  const deadline = tReady + 600_000;
  const { servers } = await sampled([proc], async () => {
    while (performance.now() < deadline) {
      stored = (await metricValue(proc.url, 'persist_messages_stored_total')) ?? 0;
      if (stored >= n) break;
      await sleep(100);
    }
  });
  const drainSeconds = (performance.now() - tReady) / 1000;
  const batchSum = await metricValue(proc.url, 'persist_batch_size_sum');
  const batches = await metricValue(proc.url, 'persist_batch_size_count');
  const writeSum = await metricValue(proc.url, 'persist_batch_write_duration_seconds_sum');
  results.scenarios.d = {
    backlog: n,
    publishPerSec: round(publishPerSec, 0),
    stored,
    startupSeconds: round((tReady - tStart) / 1000, 2),
    drainSeconds: round(drainSeconds, 2),
    drainPerSec: round(stored / drainSeconds, 0),
    meanBatchSize: batches ? round(batchSum / batches, 1) : null,
    meanInsertManyMs: batches ? round((1000 * writeSum) / batches, 1) : null,
    servers,
  };
  log(`d: ${stored}/${n} stored ${round(drainSeconds, 1)} s after message-service was ready`);
}

/** History through the gateway: one page asked again and again (cached), and pages at random cursors (misses). */
async function scenarioE(stack) {
  const roomId = BACKLOG_ROOM;
  const { token } = await registerOrLogin(stack.url, 'benchreader', 'bench-reader-password');
  const headers = { authorization: `Bearer ${token}` };
  const path = `/messages/history/${roomId}?limit=50`;
  const hi = Math.max(100, results.scenarios.d?.stored ?? 100);
  const cannon = (title, requests) =>
    autocannon({
      url: stack.url,
      connections: P.e.connections,
      duration: P.e.seconds,
      headers,
      requests,
      timeout: 30,
      title,
    });
  const figures = (r) => ({
    requestsPerSec: round(r.requests.average, 0),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  });
  await fetch(`${stack.url}${path}`, { headers }); // warm the cache
  // One request at a time first: the latency of a miss without queueing behind others.
  const single = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const res = await fetch(
      `${stack.url}/messages/history/${roomId}?limit=50&before=${51 + Math.floor(Math.random() * (hi - 51))}`,
      { headers },
    );
    await res.text();
    single.push(round(performance.now() - t, 1));
  }
  const cached = await cannon('cached', [{ method: 'GET', path }]);
  const uncached = await cannon('uncached', [
    {
      method: 'GET',
      setupRequest: (req) => ({
        ...req,
        path: `/messages/history/${roomId}?limit=50&before=${51 + Math.floor(Math.random() * (hi - 51))}`,
      }),
    },
  ]);
  results.scenarios.e = {
    command: `autocannon -c ${P.e.connections} -d ${P.e.seconds} -H "authorization: Bearer <token>" ${stack.url}${path}`,
    cached: figures(cached),
    uncachedRandomCursor: figures(uncached),
    uncachedOneAtATimeMs: single,
  };
  log(
    `e: cached ${results.scenarios.e.cached.requestsPerSec}/s p99 ${cached.latency.p99} ms; uncached ${results.scenarios.e.uncachedRandomCursor.requestsPerSec}/s p99 ${uncached.latency.p99} ms`,
  );
}

// ---- report ----
const f = (x, d = 1) => (x === null || x === undefined ? '–' : typeof x === 'number' ? x.toFixed(d) : String(x));
const mark = (ok) => (ok === null ? '' : ok ? ' ✅' : ' ❌');

function markdown() {
  const s = results.scenarios;
  const m = results.machine;
  const lines = [
    `# Benchmark ${results.startedAt}${quick ? ' (quick smoke sizes — not the standard set)' : ''}`,
    '',
    `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, ${m.platform}. ${m.mongo}.`,
    'Load generator, services, Redis, RabbitMQ and FerretDB all share these cores. Reproduce: `npm run bench` (builds the services, then runs `node bench/run.mjs`).',
    `Service settings beyond defaults: ${Object.entries(SERVICE_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}. Clients log in as ${P.accounts} accounts.`,
    '',
    '| scenario | figure | target | measured |',
    '|---|---|---|---|',
  ];
  const row = (sc, fig, target, measured, ok = null) =>
    lines.push(`| ${sc} | ${fig} | ${target} | ${measured}${mark(ok)} |`);
  if (s.a) {
    row(
      '(a) idle connections, one node',
      `RSS at ${s.a.socketsAtPeak ?? '?'} sockets (from ${f(s.a.rssBeforeMb)} MB idle)`,
      `< ${TARGETS.aRssMb} MB`,
      `${f(s.a.rssAtPeakMb)} MB`,
      s.a.rssAtPeakMb === null ? null : s.a.rssAtPeakMb < TARGETS.aRssMb,
    );
    row('', 'RSS / heap per connection', '', `${f(s.a.rssPerConnectionKb)} KB / ${f(s.a.heapPerConnectionKb)} KB`);
    row(
      '',
      'connect rate (token checked)',
      `≥ ${TARGETS.aConnectPerSec}/s`,
      `${f(s.a.connectPerSec, 0)}/s, ${s.a.connectFailures} failed`,
      s.a.connectPerSec === null ? null : s.a.connectPerSec >= TARGETS.aConnectPerSec,
    );
  }
  const loadRows = (label, r, p99Target) => {
    if (!r) return;
    if (r.error) return row(label, 'run', '', `failed: ${r.error} (exit ${r.exitCode})`, false);
    row(
      label,
      'delivery latency p50 / p90 / p99 / p99.9 / max',
      p99Target ? `p99 < ${p99Target} ms` : '',
      `${f(r.deliveryMs.p50)} / ${f(r.deliveryMs.p90)} / ${f(r.deliveryMs.p99)} / ${f(r.deliveryMs.p999)} / ${f(r.deliveryMs.max)} ms`,
      p99Target ? meetsP99(r, p99Target) : null,
    );
    row(
      '',
      'ack latency p50 / p99',
      '',
      `${f(r.ackMs.p50)} / ${f(r.ackMs.p99)} ms (confirm wait mean ${Array.isArray(r.chatConfirmMeanMs) ? r.chatConfirmMeanMs.map((x) => f(x, 2)).join(', ') : f(r.chatConfirmMeanMs, 2)} ms)`,
    );
    row(
      '',
      'sent / acked, deliveries/s',
      '',
      `${r.sent} / ${r.acked} at ${f(r.sendRatePerSec, 0)} msg/s, ${f(r.deliveriesPerSec, 0)} deliveries/s`,
    );
    const checked = r.persistMissing !== undefined;
    row(
      '',
      'lost / duplicated (live; history)',
      '0 / 0',
      `${r.lost} / ${r.duplicates}; ${checked ? `${r.persistMissing} / ${r.persistDuplicated}` : 'history not checked'}`,
      r.lost === 0 && r.duplicates === 0 && (!checked || (r.persistMissing === 0 && r.persistDuplicated === 0)),
    );
    if (checked) {
      row(
        '',
        'all in history after the last ack',
        '',
        `≤ ${f(r.persistCompleteAfterMs, 0)} ms (one read of all rooms: ${f(r.persistPollRoundMs, 0)} ms)`,
      );
    }
    // The send phase sets the latency; the whole run (logins, connects, waits) is the fallback.
    const sp = r.sendPhaseCpu;
    const cpu = sp
      ? `send phase (${f(sp.seconds)} s): ${Object.entries(sp.cpuPct)
          .map(([n, pct]) => `${n} ${pct}%`)
          .join(', ')}, machine ${sp.machinePct}% of ${sp.machineCapacityPct}% (${sp.unlistedPct}% outside these)`
      : `whole run: ${Object.entries(r.servers ?? {})
          .map(([n, v]) => `${n} ${v.cpuPct}%`)
          .join(', ')}, client ${f(r.clientCpuSeconds)} CPU s`;
    row(
      '',
      'CPU (100% = one core); client loop delay',
      '',
      `${cpu}; client loop delay p99 ${f(r.clientLoopDelayP99Ms)} ms`,
    );
  };
  loadRows(
    `(b) ${P.b.users} clients, ${P.b.rooms} rooms, ${P.b.rate} msg/s, ${P.b.duration} s, one node`,
    s.b,
    TARGETS.bP99Ms,
  );
  loadRows(`(c) same, two nodes behind the gateway`, s.c, null);
  if (s.sweep) {
    for (const r of s.sweep.rows) loadRows(`rate sweep: ${r.rate} msg/s, one node`, r, TARGETS.sweepP99Ms);
    row(
      'rate sweep',
      'highest rate with p99 < 100 ms, 0 lost',
      `≥ ${TARGETS.sweepRate} msg/s`,
      `${f(s.sweep.highestRateUnderP99Target, 0)} msg/s`,
      s.sweep.highestRateUnderP99Target === null ? false : s.sweep.highestRateUnderP99Target >= TARGETS.sweepRate,
    );
  }
  if (s.d)
    row(
      '(d) persistence backlog',
      `drain of ${s.d.backlog} queued messages into MongoDB`,
      '',
      `${f(s.d.drainPerSec, 0)} msg/s (${f(s.d.drainSeconds, 1)} s; ${s.d.stored} stored; mean batch ${f(s.d.meanBatchSize)}, insertMany ${f(s.d.meanInsertManyMs)} ms)`,
    );
  if (s.drainBench?.drainRatePerSec) {
    const d = s.drainBench;
    row(
      '(d) bench/drain-bench.mjs (consumer in-process, 100 rooms)',
      `drain of ${d.messages} messages`,
      '',
      `${f(d.drainRatePerSec, 0)} msg/s; mean batch ${d.meanBatchSize} (max ${d.configuredBatchSize}), insertMany ${d.meanInsertManyMs} ms`,
    );
  }
  if (s.e) {
    row(
      '(e) history via gateway, cached',
      'requests/s, p99',
      `≥ ${TARGETS.eCachedPerSec}/s, p99 < ${TARGETS.eCachedP99Ms} ms`,
      `${f(s.e.cached.requestsPerSec, 0)}/s, p99 ${s.e.cached.p99Ms} ms (non-2xx ${s.e.cached.non2xx})`,
      s.e.cached.requestsPerSec >= TARGETS.eCachedPerSec && s.e.cached.p99Ms < TARGETS.eCachedP99Ms,
    );
    row(
      '(e) history via gateway, uncached',
      'requests/s, p99 (random before= cursors)',
      '',
      `${f(s.e.uncachedRandomCursor.requestsPerSec, 0)}/s, p99 ${s.e.uncachedRandomCursor.p99Ms} ms (non-2xx ${s.e.uncachedRandomCursor.non2xx}); one at a time: ${s.e.uncachedOneAtATimeMs.join(', ')} ms`,
    );
  }
  if (s.confirm) {
    for (const c of s.confirm)
      row(
        'RabbitMQ confirm (quorum, persistent)',
        `noDelay ${c.noDelay}, ${c.mode}`,
        '',
        `p50 ${f(c.p50, 2)} / p99 ${f(c.p99, 2)} ms`,
      );
  }
  const profileTables = (title, p) => {
    if (!p?.areas) return;
    lines.push('', `## ${title}, ${p.window}: ${f(p.busySeconds)} s busy of ${f(p.wallSeconds)} s`, '');
    lines.push(
      'Self time of sampled stacks (V8 samples wall time, so on a busy machine "busy" includes time the process waited for a core).',
      '',
    );
    lines.push(
      '| area | self ms | % of busy |',
      '|---|---|---|',
      ...p.areas.map((a) => `| ${a.name} | ${a.ms} | ${a.pct} |`),
    );
    lines.push(
      '',
      '| function | self ms | % of busy |',
      '|---|---|---|',
      ...p.functions.map((fn) => `| \`${fn.name}\` | ${fn.ms} | ${fn.pct} |`),
    );
  };
  profileTables('chat-service CPU profile under (b)', s.bProfile);
  profileTables('chat-service CPU profile while (a) connects', s.aProfile);
  lines.push('', '## Commands', '');
  for (const [k, v] of Object.entries(s)) {
    if (v?.command) lines.push(`- (${k}) \`${v.command}\``);
    for (const r of v?.rows ?? []) lines.push(`- (sweep ${r.rate}) \`${r.command}\``);
  }
  return lines.join('\n') + '\n';
}

function save() {
  results.finishedAt = new Date().toISOString();
  const base = join(RESULTS, `${stamp}${quick ? '-quick' : ''}`);
  writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
  writeFileSync(`${base}.md`, markdown());
  log(`wrote ${base}.json and ${base}.md`);
}

/** The message-service engineer's in-process drain benchmark (bench/drain-bench.mjs), for batch sizes. */
async function scenarioDrainBench() {
  const command = `npx tsx bench/drain-bench.mjs ${P.d.backlog}`;
  log(`drain-bench: ${command}`);
  const child = spawn('npx', ['tsx', 'bench/drain-bench.mjs', String(P.d.backlog)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => process.stderr.write(`  drain-bench | ${d}`));
  const code = await new Promise((resolve) => child.on('close', resolve));
  results.scenarios.drainBench = { command, exitCode: code, ...JSON.parse(stdout.slice(stdout.indexOf('{'))) };
}

// The most telling first, so a run cut short still has them.
const steps = {
  confirm: scenarioConfirm,
  b: scenarioB,
  a: scenarioA,
  c: scenarioC,
  sweep: scenarioSweep,
  drainBench: scenarioDrainBench,
};
let failed = false;
if (build) await buildBackend(ROOT, log);
// Imported once built: on a fresh clone @chat/testing has no dist/ until the build above.
const { createIsolation } = await import('@chat/testing');
for (const [name, fn] of Object.entries(steps)) {
  // d and e run on the two-node stack of c; asking for them alone still starts that stack.
  const needed = name === 'c' ? want('c') || want('d') || want('e') : want(name);
  if (!needed) continue;
  try {
    await fn();
  } catch (err) {
    failed = true;
    results.scenarios[`${name}Error`] = String(err.stack ?? err);
    log(`${name} failed: ${err.stack ?? err}`);
  }
  save();
}
process.exitCode = failed ? 1 : 0;
