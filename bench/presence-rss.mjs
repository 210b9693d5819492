#!/usr/bin/env node
// chat-service's resident memory per connection, with rooms (presence entries) and without.
//
//   source .services/env && npx tsx bench/presence-rss.mjs [--sockets 2000] [--rooms 3] [--room-count 200] [--root <repo>]
//
// Runs one node as its own process (`node --import tsx chat-service/src/main.ts` from --root, a
// full GC each second,
// default this checkout; point it at a checkout without presence to compare) on the local Redis
// and RabbitMQ, under its own key prefix and vhost. Connects --sockets clients (one user each),
// reads the node's VmRSS; then every socket joins --rooms of --room-count rooms (each join is
// announced to the room, so one huge room makes this quadratic) and the RSS is read again after
// a heartbeat. Also reports the Redis memory of
// the presence keys. The clients run in this process, so they do not count.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { io as connectClient } from 'socket.io-client';
import { SOCKET_PATH } from '@chat/contracts';
import { signToken } from '@chat/service-kit';
import { freePort, RabbitManagement, testKeyPair } from '@chat/testing';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const SOCKETS = Number(opt('sockets', 2000));
const ROOMS = Number(opt('rooms', 3));
const ROOM_COUNT = Number(opt('room-count', 200));
const ROOT = path.resolve(opt('root', fileURLToPath(new URL('..', import.meta.url))));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const MANAGEMENT_URL = process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672';
const say = (msg) => process.stderr.write(`[presence-rss] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** V8 heap in use (prom-client's process metrics): what stays allocated, where RSS keeps what a burst grew. */
const heapUsedMb = async (url) => {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes\S* (\S+)$/m.exec(metrics)?.[1]) / 2 ** 20;
};
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function main() {
  const id = `bench_rss_${randomBytes(3).toString('hex')}`;
  const prefix = `${id}:`;
  const rabbit = new RabbitManagement(MANAGEMENT_URL);
  await rabbit.createVhost(id, decodeURIComponent(new URL(AMQP_URL).username || 'guest'));
  const amqpUrl = new URL(AMQP_URL);
  amqpUrl.pathname = `/${id}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // A full GC each second: the heap and RSS read are what stays, not a burst's garbage.
  const gcEachSecond = 'data:text/javascript,setInterval(() => globalThis.gc(), 1000).unref();';
  const nodeArgs = ['--expose-gc', '--import', gcEachSecond, '--import', 'tsx', 'chat-service/src/main.ts'];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      JWT_PUBLIC_KEY: testKeyPair().publicKey.replace(/\n/g, '\\n'),
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      AMQP_URL: amqpUrl.toString(),
      SOCKETS_PER_USER_MAX: '20',
      JOIN_RATE_LIMIT: '1000',
      PRESENCE_TTL_SEC: '6',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const redis = new Redis(REDIS_URL);
  const clients = [];
  try {
    for (let t = 0; ; t++) {
      if ((await fetch(`${url}/ready`).catch(() => null))?.status === 200) break;
      if (t > 600) throw new Error('node did not become ready');
      await sleep(100);
    }
    await sleep(2000);
    const idle = rssMb(child.pid);
    say(`node up, RSS ${idle.toFixed(1)} MB; connecting ${SOCKETS} sockets`);
    const key = testKeyPair().privateKey;
    for (let i = 0; i < SOCKETS; i += 100) {
      const batch = [];
      for (let j = i; j < Math.min(SOCKETS, i + 100); j++) {
        const userId = randomBytes(12).toString('hex');
        const token = signToken(
          key,
          { userId, username: `u${j}`, displayName: `User ${j}` },
          {
            issuer: 'chat-platform',
            audience: 'chat-platform',
            ttlSec: 3600,
          },
        );
        const s = connectClient(url, {
          path: SOCKET_PATH,
          auth: { token },
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
        });
        clients.push(s);
        batch.push(
          new Promise((resolve, reject) => {
            s.once('connect', resolve);
            s.once('connect_error', reject);
          }),
        );
      }
      await Promise.all(batch);
    }
    await sleep(3000);
    const connected = rssMb(child.pid);
    const heapConnected = await heapUsedMb(url);
    say(`${SOCKETS} connected, RSS ${connected.toFixed(1)} MB; joining ${ROOMS} rooms each`);
    const joinStart = Date.now();
    for (let i = 0; i < clients.length; i += 200) {
      if (i % 1000 === 0) say(`joined ${i} sockets in ${Date.now() - joinStart} ms`);
      await Promise.all(
        clients.slice(i, i + 200).flatMap((s, k) =>
          Array.from({ length: ROOMS }, (_, r) => {
            const roomId = `room-${((i + k) * ROOMS + r) % ROOM_COUNT}`;
            return s
              .timeout(30_000)
              .emitWithAck('joinRoom', { roomId })
              .then((ack) => {
                if (!ack.ok) throw new Error(`join: ${ack.error.code}`);
              });
          }),
        ),
      );
    }
    const joinedAt = Date.now();
    await sleep(8000); // presence writes settle, heartbeats (TTL/3 = 2 s) run, the heap settles
    const joined = rssMb(child.pid);
    const heapJoined = await heapUsedMb(url);
    let presenceBytes = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}presence*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) presenceBytes += Number(await redis.memory('USAGE', k)) || 0;
    } while (cursor !== '0');
    const perSocketKb = (mb) => ((mb * 1024) / SOCKETS).toFixed(1);
    const result = {
      root: ROOT,
      sockets: SOCKETS,
      roomsPerSocket: ROOMS,
      rooms: ROOM_COUNT,
      joinSeconds: +((joinedAt - joinStart) / 1000).toFixed(1),
      rssIdleMb: +idle.toFixed(1),
      rssConnectedMb: +connected.toFixed(1),
      rssJoinedMb: +joined.toFixed(1),
      perSocketConnectedKb: +perSocketKb(connected - idle),
      perSocketRoomsKb: +perSocketKb(joined - connected),
      heapConnectedMb: +heapConnected.toFixed(1),
      heapJoinedMb: +heapJoined.toFixed(1),
      heapPerSocketRoomsKb: +perSocketKb(heapJoined - heapConnected),
      redisPresenceKb: +(presenceBytes / 1024).toFixed(1),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const s of clients) s.disconnect();
    child.kill('SIGKILL');
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    await rabbit.deleteVhost(id);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
