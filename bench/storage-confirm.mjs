#!/usr/bin/env node
// What the storage side (message-service, FerretDB, PostgreSQL) costs the send path's
// publisher-confirm wait, A/B between built trees, round after round (issue 11). On this
// machine everything shares two cores and one disk, so message-service's writes can slow the
// broker's confirms though no send waits for them. Each run starts a fresh stack from one
// tree's dist/ and publishes Messages straight to chat_exchange at a fixed rate over `--rooms`
// rooms, as that tree's chat-service publishes (in the queue envelope where its contracts
// have one, else bare), with no sockets: chat-service idles, so what differs between trees is
// the consumer and what it writes. Per run: confirm latency (mean, p50, p90, p99) from each
// message's scheduled send, so a late tick counts, and (p50, p90, p99) from its publish call;
// the storage side's CPU ms per message (message-service, FerretDB and PostgreSQL also apart),
// RabbitMQ's and Redis's, until the queue is drained (ready and unacked); PostgreSQL's WAL
// bytes, and approximately its WAL records and syncs and commits, per message (when `psql`
// reaches it, PGHOST/PGUSER; the whole cluster's, so run nothing else on it); then each metric
// round by round (comparePairs: the second tree over the first). About 40 s a run.
//
//   node bench/storage-confirm.mjs --trees /work/wt/before,/work/wt/after [--rounds 6]
//        [--rate 600] [--duration 20] [--rooms 50] > result.json
//
// Needs the trees built (npm run build) and the local servers, as bench/run.mjs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { CHAT_EXCHANGE, MESSAGE_PERSIST_DLQ, MESSAGE_PERSIST_QUEUE, messageRoutingKey } from '@chat/contracts';
import { createIsolation, RabbitManagement } from '@chat/testing';
import { comparePairs } from '../tools/lib/bench/compare-runs.js';
import { startCpuSampler } from '../tools/lib/bench/cpu-sampler.js';
import { startStack } from '../tools/lib/bench/stack.js';
import { runSchedule } from '../tools/lib/scheduler.js';
import { newHistogram, summarizeHistogram } from '../tools/lib/tracker.js';
import { SERVICES, opt } from '../tools/lib/bench/bench-env.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const trees = opt('trees', ROOT)
  .split(',')
  .map((t) => resolve(t));
// Runs are paired by tree and round: a tree named twice would pair with itself.
if (new Set(trees).size !== trees.length) throw new Error('--trees names a tree twice');
const rounds = Number(opt('rounds', 6));
const P = { rate: Number(opt('rate', 600)), duration: Number(opt('duration', 20)), rooms: Number(opt('rooms', 50)) };
/** How long the queue may take to empty after the last confirm before the run is reported as not drained. */
const DRAIN_TIMEOUT_MS = 60_000;
const SENDER_ID = 'a'.repeat(24);
const WORK = join(os.tmpdir(), `storage-confirm-${Date.now()}`);
mkdirSync(WORK, { recursive: true });
const log = (m) => process.stderr.write(`[storage-confirm] ${m}\n`);

/** One row of `psql` output as numbers (NaN for an empty column), or null when the query fails. */
function psqlRow(sql) {
  try {
    const host = process.env.PGHOST ?? '127.0.0.1';
    const user = process.env.PGUSER ?? 'postgres';
    const out = execFileSync('psql', ['-h', host, '-U', user, '-AF,', '-tc', sql], { stdio: 'pipe' });
    return out
      .toString()
      .trim()
      .split(',')
      .map((v) => (v === '' ? NaN : Number(v)));
  } catch {
    return null;
  }
}

/**
 * PostgreSQL's cluster-wide counters: WAL bytes (exact, from the WAL position), and WAL
 * records, WAL syncs and committed transactions (approximate: a backend that goes idle keeps
 * its statistics up to 10 s before flushing them, and background work counts too); null
 * without `psql` or a reachable server, each apart (pg_stat_wal has wal_sync on PostgreSQL
 * 14–17 only). Each sync waits on the disk RabbitMQ's quorum log also syncs to.
 */
function pgCounters() {
  const position = psqlRow("select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')");
  if (position === null) return null;
  const stats = psqlRow(
    'select w.wal_records, w.wal_sync, (select sum(xact_commit) from pg_stat_database) from pg_stat_wal w',
  );
  const [records, syncs, commits] = stats ?? [NaN, NaN, NaN];
  return { bytes: position[0], records, syncs, commits };
}

/**
 * Whether the tree's consumer reads the queue envelope (`{v, type, message}`, Message v2), as its
 * chat-service publishes; older trees read only a bare Message. Each tree gets the body its
 * own chat-service sends: a newer consumer still reads a bare one, but by a compatibility path
 * it never takes in service.
 */
function readsEnvelope(tree) {
  try {
    return readFileSync(join(tree, 'packages', 'contracts', 'dist', 'queue.js'), 'utf8').includes('ROOM_EVENT_VERSION');
  } catch {
    return false;
  }
}

/**
 * The nth message of run `runId`, seq counted per room: in the envelope (with `version`) or as a
 * bare Message (without).
 */
function messageOf(runId, n, seq, roomId, envelope) {
  const message = {
    id: `${runId}-${n}`,
    roomId,
    seq,
    senderId: SENDER_ID,
    senderName: 'storage-confirm',
    text: `message ${n} of the storage-confirm bench, an ordinary line of chat`,
    clientMsgId: `${runId}-c${n}`,
    createdAt: new Date().toISOString(),
  };
  const body = envelope ? { v: 1, type: 'message', message: { ...message, version: seq } } : message;
  return { id: message.id, body: Buffer.from(JSON.stringify(body)) };
}

/**
 * Publish at the rate for the duration; resolves with the confirm latency histograms and the
 * send window: `hist` from each message's scheduled send (a late tick counts), `brokerHist` from
 * its publish call (the broker's and the storage side's part alone, without the ticks' jitter).
 */
async function publishAll(ch, runId, envelope) {
  const seqs = new Array(P.rooms).fill(0);
  const hist = newHistogram();
  const brokerHist = newHistogram();
  const confirms = [];
  const from = Date.now();
  // runSchedule's own start, to within its first call: message n (from 0) is due (n + 1) / rate
  // after it (dueCount).
  const t0 = performance.now();
  const schedule = runSchedule({
    rate: P.rate,
    rampMs: 0,
    durationMs: P.duration * 1000,
    now: () => performance.now(),
    send: (n) => {
      const room = n % P.rooms;
      const roomId = `storage-confirm-${room}`;
      const { id, body } = messageOf(runId, n, ++seqs[room], roomId, envelope);
      const publishedAt = performance.now();
      const start = Math.min(publishedAt, t0 + ((n + 1) * 1000) / P.rate);
      const options = { persistent: true, mandatory: true, contentType: 'application/json', messageId: id };
      confirms.push(
        new Promise((done, fail) =>
          ch.publish(CHAT_EXCHANGE, messageRoutingKey(roomId), body, options, (err) => {
            if (err) return fail(err);
            const confirmedAt = performance.now();
            hist.recordValue(Math.max(1, Math.round((confirmedAt - start) * 1000)));
            brokerHist.recordValue(Math.max(1, Math.round((confirmedAt - publishedAt) * 1000)));
            done();
          }),
        ),
      );
    },
  });
  await schedule.done;
  await Promise.all(confirms);
  return { hist, brokerHist, sent: schedule.total, from };
}

/**
 * Waits until the persist queue holds nothing, ready or unacked (the management API's count,
 * refreshed every few seconds); returns what is left at the deadline.
 */
async function drained(ch, iso) {
  const management = new RabbitManagement(SERVICES.rabbitManagementUrl);
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let left = (await ch.checkQueue(MESSAGE_PERSIST_QUEUE)).messageCount;
  while (Date.now() < deadline) {
    if (left === 0) left = (await management.queue(iso.vhost, MESSAGE_PERSIST_QUEUE)).messages;
    if (left === 0) return 0;
    await sleep(250);
    left = (await ch.checkQueue(MESSAGE_PERSIST_QUEUE)).messageCount;
  }
  return left;
}

async function measure(tree, runId) {
  const iso = await createIsolation(SERVICES, `bench storage-confirm ${runId}`);
  let stack;
  let conn;
  let cpu;
  try {
    stack = await startStack({ root: tree, iso, logDir: WORK });
    conn = await amqp.connect(iso.amqpUrl);
    conn.on('error', (err) => log(`amqp connection error: ${err.message}`));
    const ch = await conn.createConfirmChannel();
    ch.on('error', (err) => log(`amqp channel error: ${err.message}`));
    cpu = startCpuSampler({ 'message-service': stack.message.pid });
    const pg0 = pgCounters();
    const sent = await publishAll(ch, runId, readsEnvelope(tree));
    const left = await drained(ch, iso);
    cpu.stop(); // its last sample, taken now, closes the window
    const drainedAt = Date.now();
    // Busy backends flush their statistics at most once a second (idle ones later: approximate).
    await sleep(1500);
    const pg1 = pgCounters();
    const pgPerMessage = (name, digits = 0) => {
      const delta = pg0 === null || pg1 === null ? NaN : pg1[name] - pg0[name];
      return Number.isFinite(delta) ? Number((delta / sent.sent).toFixed(digits)) : null;
    };
    const deadLettered = (await ch.checkQueue(MESSAGE_PERSIST_DLQ)).messageCount;
    const window = cpu.between(sent.from, drainedAt);
    const perMessageMs = (...names) => {
      const s = names.reduce((sum, name) => sum + (window?.cpuSeconds?.[name] ?? 0), 0);
      return Math.round((s * 1e6) / sent.sent) / 1000;
    };
    const confirm = summarizeHistogram(sent.hist);
    const broker = summarizeHistogram(sent.brokerHist);
    return {
      tree,
      sent: sent.sent,
      leftInQueue: left,
      deadLettered,
      confirmMeanMs: confirm.mean,
      confirmP50Ms: confirm.p50,
      confirmP90Ms: confirm.p90,
      confirmP99Ms: confirm.p99,
      confirmMaxMs: confirm.max,
      publishToConfirmP50Ms: broker.p50,
      publishToConfirmP90Ms: broker.p90,
      publishToConfirmP99Ms: broker.p99,
      storageCpuMsPerMessage: perMessageMs('message-service', 'ferretdb', 'postgres'),
      messageServiceCpuMsPerMessage: perMessageMs('message-service'),
      ferretdbCpuMsPerMessage: perMessageMs('ferretdb'),
      postgresCpuMsPerMessage: perMessageMs('postgres'),
      rabbitmqCpuMsPerMessage: perMessageMs('rabbitmq'),
      redisCpuMsPerMessage: perMessageMs('redis'),
      walBytesPerMessage: pgPerMessage('bytes'),
      walRecordsPerMessage: pgPerMessage('records', 2),
      walSyncsPerMessage: pgPerMessage('syncs', 3),
      pgCommitsPerMessage: pgPerMessage('commits', 3),
      machinePct: window?.machinePct ?? null,
    };
  } finally {
    cpu?.stop();
    await conn?.close().catch(() => undefined);
    try {
      await stack?.stop();
    } finally {
      await iso.cleanup();
    }
  }
}

const runs = [];
let n = 0;
for (let r = 0; r < rounds; r++) {
  // Alternating order, so neither tree always runs first in a round.
  for (const tree of r % 2 === 0 ? trees : [...trees].reverse()) {
    const row = { round: r + 1, ...(await measure(tree, `sc${Date.now().toString(36)}${++n}`)) };
    log(JSON.stringify(row));
    runs.push(row);
  }
}
const METRICS = [
  'confirmMeanMs',
  'confirmP50Ms',
  'confirmP90Ms',
  'confirmP99Ms',
  'publishToConfirmP50Ms',
  'publishToConfirmP90Ms',
  'publishToConfirmP99Ms',
  'storageCpuMsPerMessage',
  'messageServiceCpuMsPerMessage',
  'ferretdbCpuMsPerMessage',
  'postgresCpuMsPerMessage',
  'rabbitmqCpuMsPerMessage',
  'walBytesPerMessage',
  'walRecordsPerMessage',
  'walSyncsPerMessage',
  'pgCommitsPerMessage',
];
const ofTree = (tree, metric) =>
  runs
    .filter((run) => run.tree === tree)
    .sort((a, b) => a.round - b.round)
    .map((run) => run[metric]);
const byRound =
  trees.length === 2
    ? Object.fromEntries(
        METRICS.filter((m) => runs.every((run) => run[m] !== null)).map((m) => [
          m,
          comparePairs(ofTree(trees[0], m), ofTree(trees[1], m)),
        ]),
      )
    : null;
process.stdout.write(JSON.stringify({ parameters: { ...P, rounds, trees }, runs, byRound }, null, 2) + '\n');
