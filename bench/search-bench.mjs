#!/usr/bin/env node
// Search latency over a seeded collection (issue 14 item 5).
//
//   source .services/env && npx tsx bench/search-bench.mjs [N] [ROOMS] [IN_FLIGHT,...]
//                                              (100000 messages, 50 rooms, SEARCH_ROOMS_IN_FLIGHT 1)
//
// Seeds N messages over ROOMS rooms into a database of its own (insertMany in chunks of 1,000,
// ~1% deleted), with memberships and room states (`rooms`: lastAt) in the membership store's
// shape: user `all` in every room, user `few` in 5. For each SEARCH_ROOMS_IN_FLIGHT given, starts message-service's app
// (createApp, run from source by tsx) on port 0 and sends 50 searches one at a time through
// HTTP, after 3 unmeasured ones:
//   - frequent: words in ~20%, ~5% and ~1% of messages, every room;
//   - rare: a word in 5 messages of the whole collection, every room;
//   - absent: a word in no message, every room (the whole scan);
//   - room: frequent and rare words with `roomId`; few: user `few` (5 rooms).
// Prints p50/p99/max latency, answer sizes and partial answers per kind, and the plan FerretDB
// (or MongoDB) reports for one room's query, and the load average (the machine is shared).
// SEARCH_TIME_BUDGET_MS from the environment is passed through. The database and key prefix
// are removed after.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { closeRedis, closeServer, connectMongo, createLogger, listen, loadConfig, signToken } from '@chat/service-kit';
import { seededRandom, testKeyPair } from '@chat/testing';
import { createApp } from '../message-service/src/app.ts';
import { messageServiceConfigSchema } from '../message-service/src/config.ts';
import { MEMBERSHIP_COLLECTION, ROOM_COLLECTION } from '../message-service/src/membership-model.ts';
import { messageModel } from '../message-service/src/message-model.ts';
import { toDoc } from '../message-service/src/message-store.ts';
import { escapeRegex } from '../message-service/src/search-repository.ts';

const N = Number(process.argv[2] ?? 100_000);
const ROOMS = Number(process.argv[3] ?? 50);
const IN_FLIGHT = (process.argv[4] ?? '1').split(',').map(Number);
const CHUNK = 1_000;
const env = {
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  AMQP_URL: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
};
const say = (msg) => process.stderr.write(`[search-bench] ${msg}\n`);

// ---- the corpus: filler words, three frequent ones, rare ones, an absent one ----
const random = seededRandom(145);
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'te', 'vi', 'zo', 'pa', 'do', 'fe'];
const FILLER = Array.from({ length: 3_000 }, () =>
  Array.from({ length: 2 + random.int(3) }, () => random.pick(SYLLABLES)).join(''),
);
const FREQUENT = [
  ['hello', 0.2],
  ['meeting', 0.05],
  ['deploy', 0.01],
];
const RARE = Array.from({ length: 20 }, (_, i) => `zephyr${String(i).padStart(2, '0')}`);
const RARE_COPIES = 5;
const ABSENT = 'quokkaqueen';

function text() {
  const words = Array.from({ length: 8 + random.int(8) }, () => random.pick(FILLER));
  for (const [word, share] of FREQUENT) {
    if (random.next() < share)
      words.splice(random.int(words.length + 1), 0, random.next() < 0.5 ? word : word.toUpperCase());
  }
  return words.join(' ');
}

const id = `bench_search_${randomBytes(3).toString('hex')}`;
const configFor = (inFlight) =>
  loadConfig(messageServiceConfigSchema, {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    AMQP_URL: env.AMQP_URL,
    MONGO_URL: env.MONGO_URL,
    MONGO_DB: id,
    REDIS_URL: env.REDIS_URL,
    REDIS_KEY_PREFIX: `${id}:`,
    JWT_PUBLIC_KEY: testKeyPair().publicKey,
    READ_RATE_LIMIT_PER_SEC: '100000',
    SEARCH_ROOMS_IN_FLIGHT: String(inFlight),
  });
const log = createLogger('search-bench', 'error');
const mongo = await connectMongo({ url: env.MONGO_URL, dbName: id, appName: 'search-bench', log });
const redis = new Redis(env.REDIS_URL, { enableOfflineQueue: false });
await new Promise((resolve) => redis.once('ready', resolve));

try {
  // ---- seed ----
  const model = messageModel(mongo);
  await model.init(); // the indexes (and, on FerretDB here, their GIN twins) before the data
  const rooms = Array.from({ length: ROOMS }, (_, r) => `bench-room-${r}`);
  const rarePositions = new Map();
  for (const word of RARE) for (let c = 0; c < RARE_COPIES; c++) rarePositions.set(random.int(N), word);
  const seqs = new Array(ROOMS).fill(0);
  const lastAt = new Array(ROOMS).fill(null);
  const start = Date.now() - N * 1000; // one message a second up to now, rooms interleaved
  const t = performance.now();
  let deleted = 0;
  for (let from = 0; from < N; from += CHUNK) {
    const docs = [];
    for (let i = from; i < Math.min(N, from + CHUNK); i++) {
      const r = random.int(ROOMS);
      const rare = rarePositions.get(i);
      const createdAt = new Date(start + i * 1000).toISOString();
      lastAt[r] = new Date(createdAt);
      const message = {
        id: randomUUID(),
        roomId: rooms[r],
        seq: ++seqs[r],
        version: seqs[r],
        senderId: randomBytes(12).toString('hex'),
        senderName: 'Bench',
        text: rare ? `${text()} ${rare}` : text(),
        clientMsgId: randomUUID(),
        createdAt,
      };
      if (random.next() < 0.01) {
        deleted += 1;
        Object.assign(message, { text: '', deletedAt: createdAt });
      }
      docs.push(toDoc(message));
    }
    await model.collection.insertMany(docs, { ordered: false });
  }
  const seedSec = (performance.now() - t) / 1000;
  say(`seeded ${N} messages (${deleted} deleted) in ${ROOMS} rooms in ${seedSec.toFixed(1)} s`);

  const all = randomBytes(12).toString('hex');
  const few = randomBytes(12).toString('hex');
  const now = new Date();
  const membership = (userId, roomId) => ({
    _id: `${roomId}|${userId}`,
    roomId,
    userId,
    member: true,
    changedAt: now,
    joinedAt: now,
    lastReadSeq: 0,
  });
  await mongo.db
    .collection(MEMBERSHIP_COLLECTION)
    .insertMany([
      ...rooms.map((room) => membership(all, room)),
      ...rooms.slice(0, 5).map((room) => membership(few, room)),
    ]);

  // The room state the membership store keeps (its newest message's createdAt): search order and pruning.
  await mongo.db.collection(ROOM_COLLECTION).insertMany(rooms.map((room, r) => ({ _id: room, lastAt: lastAt[r] })));

  // ---- the plan of one room's query ----
  const filter = {
    roomId: rooms[0],
    deletedAt: { $exists: false },
    text: { $regex: escapeRegex('hello'), $options: 'i' },
  };
  const explained = await model.collection.find(filter).sort({ seq: -1 }).limit(20).explain();
  const plan = summarisePlan(explained);
  say(`plan of one room's query: ${JSON.stringify(plan)}`);

  // ---- searches ----
  const tokenOf = (userId) =>
    signToken(
      testKeyPair().privateKey,
      { userId, username: `bench${userId.slice(0, 6)}`, displayName: 'Bench' },
      { issuer: 'chat-platform', audience: 'chat-platform', ttlSec: 3600 },
    );
  const tokens = { all: tokenOf(all), few: tokenOf(few) };
  const queries = [
    ...Array.from({ length: 12 }, (_, i) => ({ kind: 'frequent', who: 'all', q: FREQUENT[i % 3][0] })),
    ...Array.from({ length: 15 }, (_, i) => ({ kind: 'rare', who: 'all', q: RARE[i] })),
    ...Array.from({ length: 5 }, () => ({ kind: 'absent', who: 'all', q: ABSENT })),
    ...Array.from({ length: 10 }, (_, i) => ({
      kind: 'room',
      who: 'all',
      q: i % 2 ? 'hello' : RARE[15 + (i % 5)],
      roomId: rooms[i],
    })),
    ...Array.from({ length: 8 }, (_, i) => ({ kind: 'few', who: 'few', q: i % 2 ? 'meeting' : ABSENT })),
  ];
  const runs = [];
  for (const inFlight of IN_FLIGHT) {
    const config = configFor(inFlight);
    const service = createApp({ config, log, mongo, redis });
    const server = createServer(service.app);
    const port = await listen(server, 0, '127.0.0.1');
    try {
      const searchOnce = async ({ who, q, roomId }) => {
        const qs = new URLSearchParams({ q, limit: '20', ...(roomId ? { roomId } : {}) });
        const began = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}/messages/search?${qs}`, {
          headers: { authorization: `Bearer ${tokens[who]}` },
        });
        const body = await res.json();
        const ms = performance.now() - began;
        if (res.status !== 200) throw new Error(`search answered ${res.status}: ${JSON.stringify(body)}`);
        return { ms, found: body.messages.length, partial: body.partial };
      };
      for (const q of ['hello', RARE[0], ABSENT]) await searchOnce({ who: 'all', q });
      const loadBefore = os.loadavg()[0];
      const measured = [];
      for (const query of queries) measured.push({ ...query, ...(await searchOnce(query)) });
      runs.push({
        searchRoomsInFlight: inFlight,
        searchTimeBudgetMs: config.SEARCH_TIME_BUDGET_MS,
        loadAverage1m: [round(loadBefore), round(os.loadavg()[0])],
        kinds: summarise(measured),
      });
      say(`in flight ${inFlight}: ${JSON.stringify(runs.at(-1).kinds.overall)}`);
    } finally {
      await closeServer(server).catch(() => undefined);
      service.history.close();
    }
  }
  console.log(
    JSON.stringify(
      {
        messages: N,
        rooms: ROOMS,
        deleted,
        seedSeconds: round(seedSec),
        cores: os.cpus().length,
        plan,
        runs,
        mongo: env.MONGO_URL,
      },
      null,
      2,
    ),
  );
} finally {
  await closeRedis(redis);
  await mongo.dropDatabase().catch(() => undefined);
  await mongo.close();
}

/** Latency percentiles, partial answers and answer sizes, per kind of query and overall. */
function summarise(measured) {
  const kinds = {};
  for (const kind of [...new Set(measured.map((r) => r.kind)), 'overall']) {
    const of = measured.filter((r) => kind === 'overall' || r.kind === kind);
    const ms = of.map((r) => r.ms).sort((a, b) => a - b);
    kinds[kind] = {
      queries: of.length,
      p50Ms: round(percentile(ms, 50)),
      p99Ms: round(percentile(ms, 99)),
      maxMs: round(ms.at(-1)),
      partial: of.filter((r) => r.partial).length,
      foundMinMax: [Math.min(...of.map((r) => r.found)), Math.max(...of.map((r) => r.found))],
    };
  }
  return kinds;
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function round(x) {
  return Math.round(x * 10) / 10;
}

/** What the explain says about index use: FerretDB's PostgreSQL plan and pushdown flags, or MongoDB's winning plan. */
function summarisePlan(explained) {
  if (explained.ferretdbVersion || explained.serverInfo?.ferretdbVersion) {
    const nodes = [];
    const walk = (node) => {
      if (!node) return;
      nodes.push([node['Node Type'], node['Index Name'] ?? node['Relation Name']].filter(Boolean).join(' '));
      for (const child of node.Plans ?? []) walk(child);
    };
    walk(explained.queryPlanner?.Plan);
    return {
      server: `FerretDB ${explained.serverInfo.ferretdbVersion}`,
      postgresql: nodes,
      filterPushdown: explained.filterPushdown,
      sortPushdown: explained.sortPushdown,
      limitPushdown: explained.limitPushdown,
    };
  }
  const stages = [];
  const winning = explained.queryPlanner?.winningPlan;
  for (let s = winning?.queryPlan ?? winning; s; s = s.inputStage)
    stages.push([s.stage, s.indexName, s.direction].filter(Boolean).join(' '));
  return { server: `MongoDB ${explained.serverInfo?.version}`, winningPlan: stages };
}
