#!/usr/bin/env node
// Where chat-service allocates while it sends and delivers: a fresh stack from a tree's dist/
// (one chat node), a socket_test load against it, and over the middle of its send phase V8's
// sampling heap profile of every object allocated, collected ones included
// (tools/lib/bench/heap-log.js). Prints the heaviest allocation sites, by function and by the
// nearest frame of the project's own code (what in chat-service made a library allocate), as
// KB per message broadcast, and writes the .heapprofile (DevTools → Memory opens it).
// --promoted: only what no scavenge collected (what outlived two of them and was promoted, freed
// by a mark-compact since or not): what makes scavenges copy and mark-compacts run.
// --connect: over the clients' connect phase instead (logins, sockets, joins), per connection.
//
//   node bench/alloc-profile.mjs [--tree <worktree>] [--users 1000] [--rooms 50] [--rate 1000]
//        [--duration 20] [--interval 32768] [--top 25] [--promoted] [--connect]
//
// Needs the tree built (npm run build) and the local servers, as bench/run.mjs.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIsolation } from '@chat/testing';
import { metricValue, startStack } from '../tools/lib/bench/stack.js';
import { SERVICES, opt } from '../tools/lib/bench/bench-env.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const tree = resolve(opt('tree', ROOT));
const P = {
  users: Number(opt('users', 1000)),
  rooms: Number(opt('rooms', 50)),
  rate: Number(opt('rate', 1000)),
  duration: Number(opt('duration', 20)),
};
const top = Number(opt('top', 25));
const WORK = join(os.tmpdir(), `alloc-profile-${Date.now()}`);
mkdirSync(WORK, { recursive: true });
const PROFILE = join(WORK, 'chat-service.heapprofile');
const log = (m) => process.stderr.write(`[alloc-profile] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const iso = await createIsolation(SERVICES, 'bench alloc-profile');
let stack;
try {
  stack = await startStack({
    root: tree,
    iso,
    logDir: WORK,
    heapLog: true,
    chatEnv: {
      BENCH_HEAP_PROFILE: PROFILE,
      BENCH_HEAP_PROFILE_INTERVAL: opt('interval', '32768'),
      BENCH_HEAP_PROFILE_PROMOTED: argv.includes('--promoted') ? '1' : '0',
    },
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
  const json = join(WORK, 'run.json');
  const args = [
    // One account per room, as in send-cost.mjs: a user's sockets share their rooms.
    ...['--url', stack.url, '--chat-urls', chat.url, '--users', String(P.users), '--accounts', String(P.rooms)],
    ...['--rooms', String(P.rooms), '--rate', String(P.rate), '--duration', String(P.duration)],
    ...['--ramp', '2', '--no-verify-history', '--connect-concurrency', '200', '--json', json],
  ];
  const child = spawn(process.execPath, [join(ROOT, 'tools', 'socket_test.js'), ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const done = new Promise((r) => child.on('close', r));
  const connect = argv.includes('--connect');
  // Broadcasts: the sends accepted (each one broadcast once).
  const count = () =>
    metricValue(chat.url, connect ? 'chat_connected_sockets' : 'chat_broadcasts_total').catch(() => null);
  let from;
  if (connect) {
    from = { n: 0, atMs: Date.now() };
    chat.child.kill('SIGUSR2');
    while ((await count()) < P.users && child.exitCode === null) await sleep(100);
  } else {
    // The middle half of the send phase: after the ramp, before the drain.
    while (!((await count()) > 0) && child.exitCode === null) await sleep(200);
    await sleep(P.duration * 250);
    from = { n: await count(), atMs: Date.now() };
    chat.child.kill('SIGUSR2');
    await sleep(P.duration * 500);
  }
  chat.child.kill('SIGUSR2');
  const to = { n: await count(), atMs: Date.now() };
  await done;
  await sleep(500);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const units = to.n - from.n;
  const unit = connect ? 'connection' : 'message';
  const heap = chat.heapBetween(from.atMs, to.atMs);
  log(
    `${report.messages.acked} acked, ${report.deliveries.lost} lost; profiled ${units} ${unit}s, heap log: ` +
      `${heap ? ((heap.allocatedBytes / 1024) * (to.atMs - from.atMs)) / heap.ms / units : '?'} KB/${unit}`,
  );
  summarize(JSON.parse(readFileSync(PROFILE, 'utf8')), units, unit);
  log(`profile: ${PROFILE}`);
} finally {
  await stack?.stop();
  await iso.cleanup();
}

/** Allocation sites by self size, and by the nearest frame of the project's own dist/ code. */
function summarize(profile, units, unit) {
  const bySite = new Map();
  const byOwnFrame = new Map();
  let total = 0;
  const ownCode = (url) => /\/(chat-service|packages\/[^/]+)\/dist\//.test(url) && !url.includes('node_modules');
  const where = (cf) =>
    `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${cf.lineNumber + 1}`;
  const walk = (node, own) => {
    const site = where(node.callFrame);
    const mine = ownCode(node.callFrame.url) ? site : own;
    if (node.selfSize > 0) {
      total += node.selfSize;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      byOwnFrame.set(mine, (byOwnFrame.get(mine) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, mine);
  };
  walk(profile.head, '(no project frame)');
  const kb = (bytes) => (bytes / 1024 / units).toFixed(2);
  const print = (title, map) => {
    process.stdout.write(`\n${title} (KB per ${unit}, of ${kb(total)} KB sampled)\n`);
    for (const [site, bytes] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
      process.stdout.write(`  ${kb(bytes).padStart(7)}  ${site}\n`);
  };
  print('allocation sites', bySite);
  print('nearest project frame', byOwnFrame);
}
