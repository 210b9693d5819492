#!/usr/bin/env node
// The fault run (issue 11): a private stack on free loopback ports, load with retries, and one
// fault after another — kill -9 message-service, kill -9 a chat node, AMQP connections closed,
// RabbitMQ restarted, Redis restarted — then the counts that must all be 0.
//
//   node tools/fault-run.mjs [--json] [--no-build] [--rate 100] [--clients 20] [--rooms 4]
//                            [--pause 6] [--down 4] [--max-seconds 420]
//
// Needs redis-server and rabbitmq-server installed (it starts its own of each) and MongoDB at
// MONGO_URL (default mongodb://127.0.0.1:27017; it uses and drops a database of its own).
// Exit status: 0 when lost, duplicated, seq reused and the other failing counts are all 0;
// 1 when one is not; 2 when the run could not be made.
import { fileURLToPath } from 'node:url';
import { buildBackend } from './lib/build.js';
import { runFaults } from './lib/fault/run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USAGE =
  'Usage: node tools/fault-run.mjs [--json] [--no-build] [--rate <msg/s>] [--clients <n>] [--rooms <n>] [--pause <s>] [--down <s>] [--max-seconds <s>]\n';

function parseArgs(argv) {
  const opts = { json: false, build: true, rate: 100, clients: 20, rooms: 4, pause: 6, down: 4, maxSeconds: 420 };
  const numeric = {
    '--rate': 'rate',
    '--clients': 'clients',
    '--rooms': 'rooms',
    '--pause': 'pause',
    '--down': 'down',
    '--max-seconds': 'maxSeconds',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag === '--json') opts.json = true;
    else if (flag === '--no-build') opts.build = false;
    else if (flag === '--help') return null;
    else if (numeric[flag]) {
      const value = Number(inline ?? argv[++i]);
      if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
      opts[numeric[flag]] = value;
    } else throw new Error(`unknown option ${argv[i]}`);
  }
  if (opts.clients < 2) throw new Error('--clients needs at least 2');
  return opts;
}

function printText(r) {
  const n = (x) => x.toLocaleString('en-US');
  const lines = [
    `fault run ${r.runId}: ${n(r.load.sent)} messages from ${r.load.clients} clients at ${r.load.rate} msg/s over ${r.load.sendSeconds} s; ${r.seconds} s in all`,
    `faults: ${r.faults.map((f) => `${f.name} at ${f.atSecond} s (${f.closed === undefined ? '' : `${f.closed} closed, `}${f.seconds} s)`).join('; ')}`,
    `acked               ${n(r.acked)}`,
    `stored (MongoDB)    ${n(r.stored)}`,
    `stored (history)    ${n(r.storedViaHistory)}`,
    `lost                ${n(r.lost.count)}`,
    `duplicated          ${n(r.duplicated.count)}`,
    `seq reused          ${n(r.seqReused.count)}`,
    `acked-but-unstored  ${n(r.ackedButUnstored.count)}`,
    `shown-but-unstored  ${n(r.shownButUnstored.count)}`,
    `ack conflicts       ${n(r.ackConflicts.count)}`,
    `load: ${n(r.load.attempts)} send attempts, ${n(r.load.retries)} retries, error answers ${JSON.stringify(r.load.errorAnswers)}, refused ${JSON.stringify(r.load.refused)}, unacked at end ${r.load.unackedAtEnd}, reconnects ${r.load.reconnects}`,
    `members not shown a message of their room: ${r.load.notShownLive} before a last resync, ${r.load.notShownAfterResync} after it`,
  ];
  lines.push(`dead-lettered: ${r.deadLettered ?? 'unknown'}`);
  for (const name of r.failed) {
    lines.push(`${name} by phase: ${JSON.stringify(r[name].byPhase)}; samples: ${JSON.stringify(r[name].samples)}`);
  }
  lines.push(r.failed.length === 0 ? 'PASS' : `FAIL: ${r.failed.join(', ')}`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`fault-run: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (!opts) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (line) => process.stderr.write(`[fault-run] ${line}\n`);
  if (opts.build) await buildBackend(ROOT, log);
  // Imported once built: on a fresh clone @chat/testing has no dist/ until the build above.
  const testing = await import('@chat/testing');
  // Bounded: past --max-seconds, or on Ctrl-C, the private servers and services are stopped first.
  let stack = null;
  const abort = (why) => {
    log(`${why}; stopping the stack`);
    const stopped = stack ? stack.close() : Promise.resolve();
    void stopped.finally(() => process.exit(2));
  };
  setTimeout(() => abort(`still running after --max-seconds ${opts.maxSeconds}`), opts.maxSeconds * 1000).unref();
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));
  const report = await runFaults({
    root: ROOT,
    testing,
    mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
    rate: opts.rate,
    clients: opts.clients,
    rooms: opts.rooms,
    roomsPerClient: Math.min(2, opts.rooms),
    pauseMs: opts.pause * 1000,
    downMs: opts.down * 1000,
    drainMs: 60_000,
    log,
    onStack: (s) => (stack = s),
  });
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else printText(report);
  return report.failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`fault-run: ${err.stack ?? err}\n`);
    process.exit(2);
  },
);
