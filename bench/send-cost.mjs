#!/usr/bin/env node
// chat-service CPU per message, A/B between built trees, alternating (issue 11/17): on a
// machine shared with other work, latency says little, while a process's CPU time per message
// over a long send phase moves much less. Each round starts a fresh stack from each tree's
// dist/ (one chat node) and runs the same socket_test load against it; reported per run and as
// the median per tree: chat-service and Redis CPU ms per acked message, and chat-service's heap
// allocation and promotion (KB) and GC main-thread time (µs) per acked message
// (tools/lib/bench/heap-log.js),
// counted from the first send until every ack and delivery is in (so a backlog worked off after
// the last send counts).
// Ctrl-C stops after the current run, cleaning up as usual.
//
//   node bench/send-cost.mjs --trees /work/wt/before,/work/wt/after [--rounds 3]
//        [--users 200] [--rooms 20] [--rate 300] [--duration 30]
//
// Needs the trees built (npm run build) and the local servers, as bench/run.mjs.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIsolation } from '@chat/testing';
import { startCpuSampler } from '../tools/lib/bench/cpu-sampler.js';
import { startStack } from '../tools/lib/bench/stack.js';
import { SERVICES, opt } from '../tools/lib/bench/bench-env.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const trees = opt('trees', ROOT)
  .split(',')
  .map((t) => resolve(t));
const rounds = Number(opt('rounds', 3));
const P = {
  users: Number(opt('users', 200)),
  rooms: Number(opt('rooms', 20)),
  rate: Number(opt('rate', 300)),
  duration: Number(opt('duration', 30)),
};
const WORK = join(os.tmpdir(), `send-cost-${Date.now()}`);
mkdirSync(WORK, { recursive: true });
const log = (m) => process.stderr.write(`[send-cost] ${m}\n`);
/** The running socket_test, told to stop early on Ctrl-C. */
let current = null;
let stopping = false;
process.on('SIGINT', () => {
  stopping = true;
  current?.kill('SIGINT');
});

/** One socket_test run against `url` (this tree's load tool, so both sides get the same load). */
async function load(url, chatUrl, n) {
  const json = join(WORK, `run-${n}.json`);
  const args = [
    // One account per room: client i logs in as account i mod accounts and joins room i mod
    // rooms, and a user's sockets share their rooms (membership is per user), so accounts that
    // span rooms would receive every room of theirs on each socket.
    ...['--url', url, '--chat-urls', chatUrl, '--users', String(P.users), '--accounts', String(P.rooms)],
    ...['--rooms', String(P.rooms), '--rate', String(P.rate), '--duration', String(P.duration)],
    ...['--ramp', '2', '--no-verify-history', '--connect-concurrency', '100', '--json', json],
  ];
  const child = spawn(process.execPath, [join(ROOT, 'tools', 'socket_test.js'), ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  current = child;
  await new Promise((r) => child.on('close', r));
  current = null;
  return JSON.parse(readFileSync(json, 'utf8'));
}

async function measure(tree, n) {
  const iso = await createIsolation(SERVICES, `bench send-cost ${n}`);
  let stack;
  try {
    stack = await startStack({
      root: tree,
      iso,
      logDir: WORK,
      heapLog: true,
      env: {
        SEND_RATE_LIMIT_PER_MIN: '100000',
        // More clients than accounts share them: beyond the default 20 sockets per user.
        SOCKETS_PER_USER_MAX: '100000',
        REGISTER_MAX_PER_IP: '1000000',
        BCRYPT_COST: '10',
        ALLOWED_ORIGINS: 'http://localhost:3000',
      },
    });
    const chat = stack.chat[0];
    const cpu = startCpuSampler({ chat: chat.pid });
    let report;
    try {
      report = await load(stack.url, chat.url, n);
    } finally {
      cpu.stop();
    }
    const window = cpu.between(report.phases.send, report.phases.close);
    const acked = report.messages.acked;
    const heap = chat.heapBetween(report.phases.send, report.phases.close);
    const perMessage = (x, d) => (heap === null || !acked ? null : Math.round((x * 10 ** d) / acked) / 10 ** d);
    const perMessageMs = (name) => {
      const s = window?.cpuSeconds?.[name];
      return s === undefined || !acked ? null : Math.round((s * 1e6) / acked) / 1000;
    };
    return {
      tree,
      sent: report.messages.sent,
      acked,
      lost: report.deliveries.lost,
      deliveryP50Ms: report.deliveries.latencyMs.p50,
      deliveryP99Ms: report.deliveries.latencyMs.p99,
      chatCpuMsPerMessage: perMessageMs('chat'),
      redisCpuMsPerMessage: perMessageMs('redis'),
      chatAllocKbPerMessage: perMessage(heap?.allocatedBytes / 1024, 1),
      chatPromotedKbPerMessage: perMessage(heap?.promotedBytes / 1024, 2),
      chatGcUsPerMessage: perMessage(heap?.gcMs * 1000, 1),
      chatScavenges: heap?.scavenges ?? null,
      machinePct: window?.machinePct ?? null,
      otherPct: window?.unlistedPct ?? null,
    };
  } finally {
    await stack?.stop();
    await iso.cleanup();
  }
}

const runs = [];
let n = 0;
for (let r = 0; r < rounds && !stopping; r++) {
  for (const tree of trees) {
    if (stopping) break;
    const row = await measure(tree, ++n);
    log(JSON.stringify(row));
    runs.push(row);
  }
}
const median = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};
const summary = trees.map((tree) => {
  const mine = runs.filter((r) => r.tree === tree);
  return {
    tree,
    chatCpuMsPerMessage: mine.map((r) => r.chatCpuMsPerMessage),
    medianChat: median(mine.map((r) => r.chatCpuMsPerMessage)),
    medianRedis: median(mine.map((r) => r.redisCpuMsPerMessage)),
    medianAllocKb: median(mine.map((r) => r.chatAllocKbPerMessage)),
    medianPromotedKb: median(mine.map((r) => r.chatPromotedKbPerMessage)),
    medianGcUs: median(mine.map((r) => r.chatGcUsPerMessage)),
    medianP99Ms: median(mine.map((r) => r.deliveryP99Ms)),
  };
});
process.stdout.write(JSON.stringify({ parameters: { ...P, rounds }, runs, summary }, null, 2) + '\n');
