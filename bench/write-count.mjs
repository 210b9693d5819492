#!/usr/bin/env node
// Socket write system calls per delivery, chat-service against the baseline server (issue 17
// item 2): the same short socket_test load against each, with `strace -f -e trace=write,writev`
// attached for the send phase; every write is attributed by its fd's peer to the clients'
// websockets, Redis, RabbitMQ or anything else.
//
//   node bench/write-count.mjs [--users 100] [--rooms 10] [--rate 200] [--duration 10]
//
// Needs strace (ptrace allowed), built services (npm run build) and the local servers
// (REDIS_URL, AMQP_URL, MONGO_URL, RABBITMQ_MANAGEMENT_URL as for bench/run.mjs). strace
// slows the traced process down a lot: the counts are the result, not the latencies.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBaseline } from '../tools/lib/bench/baseline.js';
import { startStack } from '../tools/lib/bench/stack.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const P = { users: opt('users', 100), rooms: opt('rooms', 10), rate: opt('rate', 200), duration: opt('duration', 10) };
const WORK = join(os.tmpdir(), `write-count-${Date.now()}`);
mkdirSync(WORK, { recursive: true });
const log = (m) => process.stderr.write(`[write-count] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PEERS = {
  [Number(new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379)]: 'redis',
  [Number(new URL(process.env.AMQP_URL ?? 'amqp://127.0.0.1:5672').port || 5672)]: 'rabbitmq',
};

/** socket inode → remote port, from /proc/net/tcp{,6}. */
function remotePorts() {
  const out = new Map();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      out.set(f[9], parseInt(f[2].split(':')[1], 16));
    }
  }
  return out;
}

/** Add to `out` fd → what is at the other end (redis, rabbitmq, client, or other) for the sockets `pid` has open now. */
function fdPeers(pid, out) {
  const ports = remotePorts();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (!m) continue;
    const port = ports.get(m[1]);
    // Every other TCP peer of a chat server under load is a client's websocket.
    if (port !== undefined) out.set(Number(fd), PEERS[port] ?? 'client');
  }
}

/**
 * Attach strace to `pid` while `during()` (a socket_test run) goes on; resolves with the write
 * calls made in its send phase, by peer kind, and what `during` returned.
 */
async function traced(pid, during) {
  const file = join(WORK, `strace-${pid}.txt`);
  const strace = spawn(
    'strace',
    ['-f', '-qq', '-ttt', '-e', 'trace=write,writev', '-e', 'signal=none', '-o', file, '-p', String(pid)],
    { stdio: 'ignore' },
  );
  await sleep(1000);
  // The clients' sockets are closed when the run ends: learn the fds while it runs.
  const peers = new Map();
  const watch = setInterval(() => fdPeers(pid, peers), 500);
  const result = await during();
  clearInterval(watch);
  strace.kill('SIGINT');
  await new Promise((r) => strace.on('close', r));
  const { send, drain } = result.report.phases;
  const calls = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\d+\s+([\d.]+)\s+(write|writev)\((\d+),/.exec(line);
    if (!m) continue;
    const atMs = Number(m[1]) * 1000;
    if (atMs < send || atMs > drain) continue;
    const kind = peers.get(Number(m[3])) ?? 'other';
    calls[kind] ??= { write: 0, writev: 0 };
    calls[kind][m[2]]++;
  }
  return { calls, result };
}

async function socketTest(url, extra) {
  const json = join(WORK, `st-${Date.now()}.json`);
  const args = [
    join(ROOT, 'tools', 'socket_test.js'),
    ...['--url', url, '--users', String(P.users), '--accounts', '10', '--rooms', String(P.rooms)],
    ...['--rate', String(P.rate), '--duration', String(P.duration), '--ramp', '1', '--no-verify-history'],
    ...extra,
    ...['--json', json],
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise((r) => child.on('close', r));
  return { code, report: JSON.parse(readFileSync(json, 'utf8')) };
}

function perDelivery(name, { calls, result }) {
  const sent = result.report.messages.sent;
  const deliveries = result.report.deliveries.received;
  const total = Object.values(calls).reduce((s, c) => s + c.write + c.writev, 0);
  const byPeer = Object.fromEntries(
    Object.entries(calls).map(([k, c]) => [
      k,
      {
        ...c,
        perMessage: Math.round(((c.write + c.writev) / sent) * 100) / 100,
        perDelivery: Math.round(((c.write + c.writev) / deliveries) * 100) / 100,
      },
    ]),
  );
  return {
    name,
    sent,
    deliveries,
    writeCalls: total,
    perDelivery: Math.round((total / deliveries) * 100) / 100,
    byPeer,
  };
}

const { createIsolation } = await import('@chat/testing');
const iso = await createIsolation(
  {
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
    rabbitManagementUrl: process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672',
    source: 'env',
  },
  'bench write-count',
);
let stack;
let baseline;
try {
  stack = await startStack({
    root: ROOT,
    iso,
    logDir: WORK,
    env: {
      SEND_RATE_LIMIT_PER_MIN: '100000',
      REGISTER_MAX_PER_IP: '1000000',
      BCRYPT_COST: '10',
      ALLOWED_ORIGINS: 'http://localhost:3000',
    },
  });
  baseline = await startBaseline({ root: ROOT, iso, logDir: WORK });
  const chat = stack.chat[0];
  log(`chat-service pid ${chat.pid}, baseline pid ${baseline.pid}; ${JSON.stringify(P)}`);
  const rows = [
    perDelivery('chat-service', await traced(chat.pid, () => socketTest(stack.url, ['--chat-urls', chat.url]))),
    perDelivery('baseline', await traced(baseline.pid, () => socketTest(baseline.url, []))),
  ];
  process.stdout.write(JSON.stringify({ parameters: P, rows }, null, 2) + '\n');
} finally {
  await baseline?.stop();
  await stack?.stop();
  await iso.cleanup();
}
