#!/usr/bin/env node
// `npm run bench`: the standard performance set of issue 6 on the local stack, written to
// bench/results/<date>.json and bench/results/<date>.md.
//
//   node bench/run.mjs [--quick] [--no-build] [--only confirm,lived,a,b,b-events,b-presence,sweep,c,d,e,drainBench] [--rates 1000,2000]
//                      [--seed <messages>] [--seed-rooms <n>] [--seed-users <n>]
//
// (b), the sweep and (c)-(e) run on a lived-in database: --seed messages in --seed-rooms rooms
// from --seed-users users (1,000,000 / 1,000 / 10,000; --quick 20,000 / 100 / 1,000; --seed 0
// for an empty one), bulk-loaded once into the MongoDB database bench_seed_<messages>_<rooms>_<users>
// and reused by later runs (tools/lib/bench/seed.js). What the runs add to it is deleted after
// each stack. (b) and every sweep rate are also run against bench/baseline-server.mjs, a bare
// Socket.IO + Redis adapter server, with the same load, and reported as ratios to it.
// b-events and b-presence are (b)'s load with 20% of the operations edits and reactions instead
// of sends, and with 10% of the clients sending `typing` and `markRead` every 3 s (a missing
// handler's events are counted NO_ACK, not failed): each on a fresh one-node stack, no baseline.
//
// Builds the services first (tsc; --no-build uses the dist/ already there). Needs Redis, RabbitMQ (with management API) and MongoDB
// (REDIS_URL, AMQP_URL, MONGO_URL, RABBITMQ_MANAGEMENT_URL; defaults are the local ones). Every
// stack runs in its own vhost / key prefix / database, removed afterwards. --quick runs the same
// scenarios at small sizes (at most 100 sockets and 200 msg/s) as a smoke test.
// BENCH_CHAT_NODE_FLAGS: node flags added to every chat node (experiments: `--import <preload>`,
// V8 heap flags), space-separated.
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
import { probeHistoryQueries, probeRooms, summarizeMs } from '../tools/lib/bench/history-probe.js';
import {
  deleteRooms,
  ensureSeed,
  LIST_USER_ROOMS,
  messageStorage,
  SEED_PASSWORD,
  seedUserId,
  seedUsername,
} from '../tools/lib/bench/seed.js';
import { startBaseline } from '../tools/lib/bench/baseline.js';
import { redisUsage } from '../tools/lib/bench/redis-usage.js';
import { Redis } from 'ioredis';
import { metricValue, startStack } from '../tools/lib/bench/stack.js';
import { buildBackend } from '../tools/lib/build.js';
import { joinRoom, openSocket } from '../tools/lib/clients.js';
import { registerOrLogin } from '../tools/lib/http.js';
import { SERVICES } from '../tools/lib/bench/bench-env.js';

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
const ALL = ['confirm', 'lived', 'b', 'b-events', 'b-presence', 'a', 'c', 'd', 'e', 'sweep', 'drainBench'];
if (argv.includes('--help') || (only && only.some((s) => !ALL.includes(s)))) {
  process.stderr.write(
    `Usage: node bench/run.mjs [--quick] [--no-build] [--only ${ALL.join(',')}] [--rates <msg/s,...> for the sweep] [--seed <messages>] [--seed-rooms <n>] [--seed-users <n>]\n`,
  );
  process.exit(argv.includes('--help') ? 0 : 2);
}
const want = (s) => !only || only.includes(s);
const build = !argv.includes('--no-build');
/** The value of `--name value` or `--name=value`, or undefined. */
const optionValue = (name) => {
  const arg = argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return arg === undefined ? undefined : arg.includes('=') ? arg.split('=')[1] : argv[argv.indexOf(arg) + 1];
};
const sweepRates = optionValue('rates')?.split(',').map(Number) ?? null;
const numberOption = (name, fallback) => (optionValue(name) === undefined ? fallback : Number(optionValue(name)));

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
      lived: { newRooms: 10, pages: 5 },
    }
  : {
      accounts: 100,
      a: { users: 10_000, duration: 15 },
      b: { users: 1000, rooms: 50, rate: 500, duration: 60, ramp: 5 },
      sweep: { users: 1000, rooms: 50, rates: [1000, 1500, 2000], duration: 20, ramp: 3 },
      d: { backlog: 20_000 },
      e: { seconds: 10, connections: 20 },
      confirm: { count: 2000, pacedRate: 500 },
      lived: { newRooms: 100, pages: 20 },
    };
/** The lived-in dataset (tools/lib/bench/seed.js); messages 0 = an empty database per stack. */
P.seed = {
  messages: numberOption('seed', quick ? 20_000 : 1_000_000),
  rooms: numberOption('seed-rooms', quick ? 100 : 1000),
  users: numberOption('seed-users', quick ? 1000 : 10_000),
};
const SEED_DB = P.seed.messages > 0 ? `bench_seed_${P.seed.messages}_${P.seed.rooms}_${P.seed.users}` : undefined;

/** The (b) variants: operations that are room events, clients with presence chatter and its period. */
const B_EVENT_SHARE = 0.2;
const B_TYPING_SHARE = 0.1;
const B_TYPING_INTERVAL_SEC = 3;

const TARGETS = {
  aRssMb: 450,
  aConnectPerSec: 1000,
  bP99Ms: 30,
  sweepP99Ms: 100,
  sweepRate: 2000,
  eCachedPerSec: 2000,
  eCachedP99Ms: 20,
  // Issue 17: ratios to the baseline server in the same run, and the lived-in dataset.
  cpuPerDeliveryRatio: 1.1,
  cpuRatioRates: [500, 1000],
  p99Ratio: 1.5,
  p99RatioRate: 500,
  firstSendP99Ms: 50,
  historyUncachedP99Ms: 100,
  roomListP99Ms: 100,
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
  // (lived) opens 100 new rooms from one socket, one join each.
  JOIN_RATE_LIMIT: '100000',
  ALLOWED_ORIGINS: 'http://localhost:3000',
};

const CHILD_TIMEOUT_MS = 10 * 60_000;
/** The room (d) fills with a backlog and (e) reads history from. */
const BACKLOG_ROOM = 'bench-backlog';

let stackSeq = 0;
/** Rooms the current stack's runs wrote to the seeded database, deleted when it stops. */
const roomsWritten = new Set();

/**
 * Start a stack (on the seeded database, if any), run `fn(stack)`, stop it. `stack.baseline()`
 * starts the baseline server over the same isolation, once (node flags: `opts.baselineNodeArgs`).
 */
async function withStack(label, opts, fn) {
  const logDir = join(WORK, `${++stackSeq}-${label}`);
  mkdirSync(logDir, { recursive: true });
  log(`starting stack "${label}" (${opts.chatNodes ?? 1} chat node(s)), logs in ${logDir}`);
  const iso = await createIsolation(SERVICES, `bench ${label}`);
  let stack;
  let baseline;
  try {
    stack = await startStack({ root: ROOT, iso, env: SERVICE_ENV, logDir, mongoDb: SEED_DB, ...opts });
    const nodeArgs = opts.baselineNodeArgs ?? [];
    stack.baseline = async () => (baseline ??= await startBaseline({ root: ROOT, iso, logDir, nodeArgs }));
    return await fn(stack);
  } finally {
    await baseline?.stop();
    await stack?.stop();
    await forgetWrittenRooms();
    await iso.cleanup();
  }
}

/** Keep the seeded dataset as seeded: delete what the runs added to it. */
async function forgetWrittenRooms() {
  if (!SEED_DB || roomsWritten.size === 0) return;
  const rooms = [...roomsWritten];
  roomsWritten.clear();
  const t = performance.now();
  const deleted = await deleteRooms({ mongoUrl: SERVICES.mongoUrl, dbName: SEED_DB, roomIds: rooms }).catch((err) => {
    log(`could not delete the runs' rooms from ${SEED_DB}: ${err.message}`);
    return null;
  });
  if (deleted !== null)
    log(
      `deleted ${deleted} messages of ${rooms.length} run rooms from ${SEED_DB} (${round((performance.now() - t) / 1000)} s)`,
    );
}

/**
 * Run tools/socket_test.js (its CPU followed as "client" by `cpu`, a sampler of `sampled`);
 * resolves with its exit code, JSON report and the command line. `stores`: its rooms are
 * written to the database (deleted from the seeded one afterwards).
 */
async function socketTest(name, args, cpu, { stores = true } = {}) {
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
  const o = report?.options;
  if (o && !o.idle && stores) for (let j = 0; j < o.rooms; j++) roomsWritten.add(`${o.roomPrefix}-${j}`);
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
    sendSeconds: round(m.sendSeconds, 2),
    sendRatePerSec: round(m.sendRatePerSec, 0),
    acked: m.acked,
    ackErrors: m.errorsByCode,
    ackMs: m.ackMs,
    deliveryMs: d.latencyMs,
    slowestBySecondMs: d.slowestBySecond,
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

/**
 * CPU µs a process spent per delivery: its mean CPU rate over the send phase (sampled) times
 * the send phase's length, over the deliveries of the run (nearly all arrive within it).
 */
function cpuPerDeliveryUs(r, name) {
  const sp = r.sendPhaseCpu;
  const used = sp?.cpuSeconds?.[name];
  if (used === undefined || !sp.seconds || !r.received || !r.sendSeconds) return null;
  return round(((used / sp.seconds) * r.sendSeconds * 1e6) / r.received, 1);
}

/** chat-service's allocation and GC over the send phase (its heap log), per acked message. */
function heapFigures(node, r) {
  const phases = r.report?.phases;
  const h = phases?.send && phases?.drain ? node.heapBetween(phases.send, phases.drain) : null;
  const acked = r.report?.messages.acked;
  if (!h || !acked) return null;
  // The log's window is the send phase to within its 250 ms ticks: scaled to the whole of it.
  const scale = (phases.drain - phases.send) / h.ms;
  return {
    allocatedKbPerMessage: round((h.allocatedBytes * scale) / 1024 / acked, 1),
    promotedKbPerMessage: round((h.promotedBytes * scale) / 1024 / acked, 1),
    gcMs: round(h.gcMs * scale, 0),
    gcUsPerMessage: round((h.gcMs * scale * 1000) / acked, 1),
    scavenges: Math.round(h.scavenges * scale),
    markCompacts: h.markCompacts,
    gcShareOfCpuPct: round((100 * h.gcMs) / h.cpuMs, 1),
  };
}

/** The same load against the baseline server (bench/baseline-server.mjs) of `stack`'s isolation. */
async function baselineLoad(stack, name, p) {
  const baseline = await stack.baseline();
  const { result, servers, sendPhaseCpu } = await sampled([baseline], (cpu) =>
    socketTest(`${name}-baseline`, loadArgs(baseline.url, p, [], { verifyHistory: false }), cpu, { stores: false }),
  );
  return { ...loadFigures(result), servers, sendPhaseCpu };
}

/** chat-service's CPU per delivery and latency against the baseline's at one rate, and item 2's targets there. */
function versusBaseline(rate, chat, base) {
  const ratio = (a, b) => (a === null || a === undefined || !b ? null : round(a / b, 2));
  const pair = (a, b) => ({ chat: a ?? null, baseline: b ?? null, ratio: ratio(a, b) });
  const cpu = pair(cpuPerDeliveryUs(chat, 'chat-service-1'), cpuPerDeliveryUs(base, 'baseline'));
  const p99 = pair(chat.deliveryMs?.p99, base.deliveryMs?.p99);
  return {
    rate,
    cpuPerDeliveryUs: cpu,
    p50Ms: pair(chat.deliveryMs?.p50, base.deliveryMs?.p50),
    p99Ms: p99,
    cpuTargetMet: TARGETS.cpuRatioRates.includes(rate)
      ? cpu.ratio !== null && cpu.ratio <= TARGETS.cpuPerDeliveryRatio
      : null,
    p99TargetMet: rate === TARGETS.p99RatioRate ? p99.ratio !== null && p99.ratio <= TARGETS.p99Ratio : null,
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

/**
 * Issue 17 item 3 on the seeded dataset, one chat node: a new room's first send (ack, one at a
 * time; Redis alone hands out its seq, so it must not depend on what the database holds);
 * uncached history pages through the gateway (distinct random `before=` cursors, one at a
 * time) of the largest and a typical seeded room; the same pages straight from the database
 * (its share); the room list of a user in 200 rooms, cold and warm; and what idle connections
 * add to Redis.
 */
async function scenarioLived() {
  if (!SEED_DB) {
    results.scenarios.lived = { skipped: 'no seeded dataset (--seed 0)' };
    return;
  }
  await withStack('lived', { chatNodes: 1 }, async (stack) => {
    const { token } = await registerOrLogin(stack.url, 'benchlived', 'bench-lived-password');
    const chatUrl = stack.chat[0].url;
    const socket = await openSocket(chatUrl, token, 30_000);
    const tag = Date.now().toString(36);
    const firstSendMs = [];
    const firstSendErrors = {};
    try {
      for (let k = 0; k < P.lived.newRooms; k++) {
        const roomId = `lived-${tag}-${k}`;
        roomsWritten.add(roomId);
        await joinRoom(socket, roomId, -1, 30_000);
        const t = performance.now();
        const ack = await socket
          .timeout(30_000)
          .emitWithAck('sendMessage', { roomId, clientMsgId: `first-${k}`, text: 'the first message of a new room' })
          .catch(() => ({ ok: false, error: { code: 'ACK_TIMEOUT' } }));
        if (ack?.ok) firstSendMs.push(performance.now() - t);
        else firstSendErrors[ack?.error?.code ?? 'NO_ACK_BODY'] = (firstSendErrors[ack?.error?.code] ?? 0) + 1;
        // A socket may be in at most 99 rooms (chat-service MAX_ROOMS_PER_SOCKET).
        await socket.timeout(30_000).emitWithAck('leaveRoom', { roomId });
      }
    } finally {
      socket.close();
    }
    const headers = { authorization: `Bearer ${token}` };
    const history = [];
    for (const room of probeRooms(P.seed)) {
      const cursors = new Set();
      const span = Math.max(1, room.messages - 51);
      while (cursors.size < Math.min(P.lived.pages, span)) cursors.add(52 + Math.floor(Math.random() * span));
      const ms = [];
      let non2xx = 0;
      for (const before of cursors) {
        const t = performance.now();
        const res = await fetch(`${stack.url}/messages/history/${room.roomId}?limit=50&before=${before}`, { headers });
        await res.text();
        ms.push(performance.now() - t);
        if (!res.ok) non2xx++;
      }
      history.push({ ...room, pageMs: summarizeMs(ms), non2xx });
    }
    const database = await probeHistoryQueries({
      mongoUrl: SERVICES.mongoUrl,
      dbName: SEED_DB,
      params: P.seed,
      rounds: Math.min(20, P.lived.pages),
    });
    const roomList = await roomListTimes(stack);
    const idle = await redisPerConnection(stack, token, chatUrl);
    const firstSend = summarizeMs(firstSendMs);
    results.scenarios.lived = {
      seedDb: SEED_DB,
      firstSend: {
        ...firstSend,
        errors: firstSendErrors,
        targetMet: firstSend.p99 !== null && firstSend.p99 < TARGETS.firstSendP99Ms,
      },
      historyViaGateway: history.map((h) => ({
        ...h,
        targetMet: h.non2xx === 0 && h.pageMs.p99 !== null && h.pageMs.p99 < TARGETS.historyUncachedP99Ms,
      })),
      historyDatabaseOnly: database,
      roomList,
      redisPerConnection: idle,
      mongoStorage: await messageStorage({ mongoUrl: SERVICES.mongoUrl, dbName: SEED_DB }),
      command: `node bench/run.mjs --only lived --seed ${P.seed.messages} --seed-rooms ${P.seed.rooms} --seed-users ${P.seed.users}`,
    };
    log(
      `lived: first send p99 ${firstSend.p99} ms; history p99 ${history.map((h) => `${h.messages} msgs ${h.pageMs.p99} ms`).join(', ')}; room list first ${roomList.first.p99} ms, p99 cold ${roomList.cold.p99} / warm ${roomList.warm.p99} ms`,
    );
  });
}

/** What each of roomListTimes' figures is. */
const ROOM_LIST_CASES = {
  first: 'nothing in Redis yet (no room state copies, no block summaries), cold counts',
  cold: "the user's cached counts deleted, block summaries warm",
  warm: 'warm counts',
};

/**
 * `GET /messages/rooms` through the gateway for seeded user 0, a member of LIST_USER_ROOMS rooms
 * (a quarter of them with unread messages): the stack's first (nothing in Redis yet: every state
 * and every unread message read from the database), cold (the user's cached counts deleted first,
 * so every behind room is counted again, from the block summaries the first list left in Redis,
 * shared by every reader of a room) and warm, one request at a time.
 */
async function roomListTimes(stack) {
  const { token } = await registerOrLogin(stack.url, seedUsername(0), SEED_PASSWORD);
  const headers = { authorization: `Bearer ${token}` };
  const redis = new Redis(stack.iso.redisUrl);
  const rounds = quick ? 5 : 20;
  const time = async (cold, n = rounds) => {
    const ms = [];
    let non2xx = 0;
    let rooms = 0;
    for (let i = 0; i < n; i++) {
      if (cold) await redis.del(`${stack.iso.redisPrefix}room-counts:${seedUserId(0)}`);
      const t = performance.now();
      const res = await fetch(`${stack.url}/messages/rooms`, { headers });
      const body = await res.text();
      ms.push(performance.now() - t);
      if (!res.ok) non2xx++;
      else rooms = JSON.parse(body).rooms?.length ?? 0;
    }
    const figures = summarizeMs(ms);
    return { ...figures, non2xx, rooms, targetMet: non2xx === 0 && figures.p99 < TARGETS.roomListP99Ms };
  };
  try {
    return { memberOf: LIST_USER_ROOMS, first: await time(true, 1), cold: await time(true), warm: await time(false) };
  } finally {
    redis.disconnect();
  }
}

/** Redis bytes under the stack's prefix per connected socket that joined a room (none expected: the adapter keeps rooms in memory). */
async function redisPerConnection(stack, token, chatUrl) {
  const n = quick ? 20 : 200;
  const before = await redisUsage(stack.iso.redisUrl, stack.iso.redisPrefix);
  const sockets = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = await openSocket(chatUrl, token, 30_000);
      sockets.push(s);
      await joinRoom(s, `lived-idle-${i % 10}`, -1, 30_000);
    }
    const after = await redisUsage(stack.iso.redisUrl, stack.iso.redisPrefix);
    return {
      sockets: n,
      keysAdded: after.keys - before.keys,
      bytesPerConnection: round((after.bytes - before.bytes) / n, 1),
    };
  } finally {
    for (const s of sockets) s.close();
  }
}

/**
 * Item 4's sizing figures from (b): Redis bytes under the stack's prefix per acked message (by
 * kind of key), and CPU seconds of RabbitMQ and message-service per 1,000 messages sent over
 * the send phase (RabbitMQ is shared with whatever else the machine runs).
 */
function capacityFigures(r, redis) {
  const sp = r.sendPhaseCpu;
  const messages = r.sendSeconds && sp?.seconds ? (r.sent / r.sendSeconds) * sp.seconds : null;
  const per1000 = (name) =>
    messages && sp.cpuSeconds[name] !== undefined ? round((1000 * sp.cpuSeconds[name]) / messages, 3) : null;
  const perMessage = (b) => (r.acked ? round(b / r.acked, 1) : null);
  return {
    messagesInWindow: messages === null ? null : Math.round(messages),
    cpuSecondsPer1000Messages: {
      rabbitmq: per1000('rabbitmq'),
      'message-service': per1000('message-service'),
      'chat-service': per1000('chat-service-1'),
      redis: per1000('redis'),
      'ferretdb+postgres':
        per1000('ferretdb') === null ? null : round(per1000('ferretdb') + (per1000('postgres') ?? 0), 3),
    },
    redis: {
      keys: redis.keys,
      bytes: redis.bytes,
      bytesPerAckedMessage: perMessage(redis.bytes),
      byKind: Object.fromEntries(
        Object.entries(redis.byKind).map(([k, v]) => [k, { ...v, bytesPerAckedMessage: perMessage(v.bytes) }]),
      ),
    },
  };
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
  // The baseline is profiled too: the same profiler overhead on both sides of the ratio.
  const profDir = join(PROFILES, 'b');
  const baselineProfDir = join(PROFILES, 'b-baseline');
  mkdirSync(profDir, { recursive: true });
  mkdirSync(baselineProfDir, { recursive: true });
  await withStack(
    'b-one-node',
    {
      chatNodes: 1,
      chatNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
      baselineNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${baselineProfDir}`],
    },
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
      results.scenarios.b.capacity = capacityFigures(
        results.scenarios.b,
        await redisUsage(stack.iso.redisUrl, stack.iso.redisPrefix),
      );
      const baseline = await baselineLoad(stack, 'b-one-node', P.b);
      results.scenarios.b.baseline = baseline;
      results.scenarios.b.vsBaseline = versusBaseline(P.b.rate, results.scenarios.b, baseline);
    },
  );
  results.scenarios.bProfile = profileSummary(profDir, results.scenarios.b?.phases, 'send', 'drain');
  results.scenarios.bBaselineProfile = profileSummary(
    baselineProfDir,
    results.scenarios.b?.baseline?.phases,
    'send',
    'drain',
  );
}

/** (b)'s load plus side traffic (tools/lib/side-traffic.js), on a one-node stack of its own. */
async function scenarioBVariant(key, label, extra) {
  await withStack(label, { chatNodes: 1 }, async (stack) => {
    const node = stack.chat[0];
    const c0 = await confirmMeanMs(node);
    const {
      result: run,
      servers,
      sendPhaseCpu,
    } = await sampled(stack.procs, (cpu) =>
      socketTest(label, loadArgs(stack.url, P.b, ['--chat-urls', node.url, ...extra]), cpu),
    );
    results.scenarios[key] = {
      ...loadFigures(run),
      side: run.report?.side ?? null,
      servers,
      sendPhaseCpu,
      chatConfirmMeanMs: (await confirmMeanMs(node, c0.reading)).meanMs,
    };
  });
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
  await withStack('sweep-one-node', { chatNodes: 1, heapLog: true }, async (stack) => {
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
      const row = {
        rate,
        ...loadFigures(run),
        servers,
        sendPhaseCpu,
        chatConfirmMeanMs: (await confirmMeanMs(node, c0.reading)).meanMs,
        chatHeap: heapFigures(node, run),
      };
      row.baseline = await baselineLoad(stack, `sweep-${rate}`, { ...P.sweep, rate });
      row.vsBaseline = versusBaseline(rate, row, row.baseline);
      rows.push(row);
    }
    const highest = (list) => {
      const under = list.filter((r) => meetsP99(r, TARGETS.sweepP99Ms));
      return under.length ? Math.max(...under.map((r) => r.rate)) : null;
    };
    const chatHighest = highest(rows);
    const baselineHighest = highest(rows.map((r) => ({ ...r.baseline, rate: r.rate })));
    results.scenarios.sweep = {
      rows,
      highestRateUnderP99Target: chatHighest,
      baselineHighestRateUnderP99Target: baselineHighest,
      // Item 2: chat-service sustains at least the rates the baseline does (within the swept ones).
      highestRateTargetMet: baselineHighest === null || (chatHighest !== null && chatHighest >= baselineHighest),
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
  roomsWritten.add(BACKLOG_ROOM);
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
  const sideRows = (r) => {
    const side = r?.side;
    if (!side) return;
    const ev = (name, e) =>
      `${name} ${e.ok}/${e.sent} ok${Object.keys(e.errorsByCode).length ? ` ${JSON.stringify(e.errorsByCode)}` : ''}, ack p50 ${f(e.ackMs.p50)} / p99 ${f(e.ackMs.p99)} ms`;
    if (side.eventShare > 0)
      row(
        '',
        'room events: acked / sent, ack latency',
        '',
        `${ev('edits', side.edits)}; ${ev('reactions', side.reactions)}; ${side.updatesReceived} messageUpdated delivered`,
      );
    if (side.typingShare > 0)
      row(
        '',
        'typing / markRead: acked / sent, ack latency',
        '',
        `${ev('typing', side.typing)}; ${ev('markRead', side.markRead)}; ${side.typingReceived} typing delivered`,
      );
  };
  loadRows(
    `(b-events) as (b), ${Math.round(B_EVENT_SHARE * 100)}% of operations edits/reactions instead of sends`,
    s.bEvents,
    TARGETS.bP99Ms,
  );
  sideRows(s.bEvents);
  loadRows(
    `(b-presence) as (b), ${Math.round(B_TYPING_SHARE * 100)}% of clients typing + markRead every ${B_TYPING_INTERVAL_SEC} s`,
    s.bPresence,
    TARGETS.bP99Ms,
  );
  sideRows(s.bPresence);
  loadRows(`(c) same, two nodes behind the gateway`, s.c, null);
  if (s.sweep) {
    for (const r of s.sweep.rows) {
      loadRows(`rate sweep: ${r.rate} msg/s, one node`, r, TARGETS.sweepP99Ms);
      const h = r.chatHeap;
      if (h)
        row(
          '',
          'chat-service allocated / promoted per message; GC over the send phase',
          '',
          `${f(h.allocatedKbPerMessage)} / ${f(h.promotedKbPerMessage)} KB; ${f(h.gcMs, 0)} ms (${f(h.gcUsPerMessage)} µs/msg, ${h.scavenges} scavenges, ${h.markCompacts} mark-compacts, ${f(h.gcShareOfCpuPct)}% of its CPU)`,
        );
    }
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
  const compared = [s.b?.vsBaseline, ...(s.sweep?.rows ?? []).map((r) => r.vsBaseline)].filter(Boolean);
  if (compared.length) {
    const trio = (x, d = 1) => `${f(x.chat, d)} / ${f(x.baseline, d)} / **${f(x.ratio, 2)}×**`;
    lines.push(
      '',
      '## chat-service against the baseline server, same load, same run',
      '',
      'Baseline: `bench/baseline-server.mjs` (Socket.IO + Redis adapter on the same Redis, token-less join, in-memory seq, broadcast, publish without confirms to an exchange nothing is bound to). ' +
        "CPU µs per delivery = the process's CPU over the send phase ÷ deliveries. Each cell: chat-service / baseline / ratio.",
      '',
      '| msg/s | CPU µs per delivery | target | delivery p50 ms | delivery p99 ms | target |',
      '|---|---|---|---|---|---|',
      ...compared.map(
        (v) =>
          `| ${v.rate} | ${trio(v.cpuPerDeliveryUs)} | ${v.cpuTargetMet === null ? '' : `≤ ${TARGETS.cpuPerDeliveryRatio}×${mark(v.cpuTargetMet)}`} | ${trio(v.p50Ms)} | ${trio(v.p99Ms)} | ${v.p99TargetMet === null ? '' : `≤ ${TARGETS.p99Ratio}×${mark(v.p99TargetMet)}`} |`,
      ),
    );
    if (s.sweep)
      lines.push(
        '',
        `Highest swept rate with p99 < ${TARGETS.sweepP99Ms} ms and nothing lost: chat-service ${f(s.sweep.highestRateUnderP99Target, 0)} msg/s, baseline ${f(s.sweep.baselineHighestRateUnderP99Target, 0)} msg/s (target: chat-service's ≥ the baseline's)${mark(s.sweep.highestRateTargetMet)}.`,
      );
  }
  if (s.lived && !s.lived.skipped) {
    const l = s.lived;
    const seed = results.seed ?? {};
    lines.push(
      '',
      `## Lived-in dataset: ${seed.messages} messages in ${seed.rooms} rooms, ${seed.users} users (\`${l.seedDb}\`, ${seed.reused ? 'reused' : `loaded in ${f(seed.loadSeconds?.messages)} s at ${seed.messagesPerSec} messages/s`})`,
      '',
      '| figure | target | measured |',
      '|---|---|---|',
      `| a new room's first send, ack (one at a time, ${l.firstSend.count} rooms) | p99 < ${TARGETS.firstSendP99Ms} ms | p50 ${f(l.firstSend.p50)} / p99 ${f(l.firstSend.p99)} ms${Object.keys(l.firstSend.errors).length ? `, errors ${JSON.stringify(l.firstSend.errors)}` : ''}${mark(l.firstSend.targetMet)} |`,
      ...l.historyViaGateway.map(
        (h) =>
          `| uncached history page via gateway, room of ${h.messages} messages (${h.pageMs.count} random \`before=\`) | p99 < ${TARGETS.historyUncachedP99Ms} ms | p50 ${f(h.pageMs.p50)} / p99 ${f(h.pageMs.p99)} ms, non-2xx ${h.non2xx}${mark(h.targetMet)} |`,
      ),
      ...l.historyDatabaseOnly.map(
        (h) =>
          `| the same query straight to the database, room of ${h.messages} | | newest page p50 ${f(h.newestPageMs.p50)} / p99 ${f(h.newestPageMs.p99)} ms; \`before=\` p50 ${f(h.beforeCursorPageMs.p50)} / p99 ${f(h.beforeCursorPageMs.p99)} ms |`,
      ),
      ...(l.roomList
        ? ['first', 'cold', 'warm']
            .filter((k) => l.roomList[k])
            .map(
              (k) =>
                `| \`GET /messages/rooms\` via gateway, member of ${l.roomList.memberOf} rooms, ${ROOM_LIST_CASES[k]} (${l.roomList[k].count} requests) | p99 < ${TARGETS.roomListP99Ms} ms | p50 ${f(l.roomList[k].p50)} / p99 ${f(l.roomList[k].p99)} ms, ${l.roomList[k].rooms} rooms listed, non-2xx ${l.roomList[k].non2xx}${mark(l.roomList[k].targetMet)} |`,
            )
        : []),
      `| Redis per connected socket (joined one room) | | ${f(l.redisPerConnection.bytesPerConnection)} B, ${l.redisPerConnection.keysAdded} keys added by ${l.redisPerConnection.sockets} sockets |`,
      `| MongoDB per message (collStats) | | data ${l.mongoStorage.bytesPerMessage.data} B, storage ${l.mongoStorage.bytesPerMessage.storage} B, indexes ${l.mongoStorage.bytesPerMessage.indexes} B (${l.mongoStorage.count} messages) |`,
    );
  }
  if (s.b?.capacity) {
    const c = s.b.capacity;
    lines.push(
      '',
      `## Sizing figures from (b) (${c.messagesInWindow} messages in the send phase)`,
      '',
      `CPU seconds per 1,000 messages: ${Object.entries(c.cpuSecondsPer1000Messages)
        .map(([n, v]) => `${n} ${f(v, 3)}`)
        .join(
          ', ',
        )}. Redis under the stack's prefix after the run: ${c.redis.keys} keys, ${c.redis.bytes} B, ${f(c.redis.bytesPerAckedMessage)} B per acked message (${Object.entries(
        c.redis.byKind,
      )
        .map(([k, v]) => `${k}: ${v.keys} keys, ${f(v.bytesPerAckedMessage)} B/message`)
        .join('; ')}).`,
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
  profileTables('baseline server CPU profile under the same load as (b)', s.bBaselineProfile);
  profileTables('chat-service CPU profile while (a) connects', s.aProfile);
  lines.push('', '## Commands', '');
  for (const [k, v] of Object.entries(s)) {
    if (v?.command) lines.push(`- (${k}) \`${v.command}\``);
    if (v?.baseline?.command) lines.push(`- (${k}, baseline) \`${v.baseline.command}\``);
    for (const r of v?.rows ?? []) {
      lines.push(`- (sweep ${r.rate}) \`${r.command}\``);
      if (r.baseline?.command) lines.push(`- (sweep ${r.rate}, baseline) \`${r.baseline.command}\``);
    }
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
  lived: scenarioLived,
  b: scenarioB,
  'b-events': () => scenarioBVariant('bEvents', 'b-events', ['--event-share', String(B_EVENT_SHARE)]),
  'b-presence': () =>
    scenarioBVariant('bPresence', 'b-presence', [
      ...['--typing-share', String(B_TYPING_SHARE), '--typing-interval', String(B_TYPING_INTERVAL_SEC)],
    ]),
  a: scenarioA,
  c: scenarioC,
  sweep: scenarioSweep,
  drainBench: scenarioDrainBench,
};
let failed = false;
if (build) await buildBackend(ROOT, log);
// Imported once built: on a fresh clone @chat/testing has no dist/ until the build above.
const { createIsolation } = await import('@chat/testing');
if (SEED_DB && ['lived', 'b', 'b-events', 'b-presence', 'sweep', 'c', 'd', 'e'].some(want)) {
  results.seed = {
    db: SEED_DB,
    ...(await ensureSeed({ mongoUrl: SERVICES.mongoUrl, dbName: SEED_DB, params: P.seed, log })),
  };
}
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
