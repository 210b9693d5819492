#!/usr/bin/env node
// GET /messages/rooms for a user in many rooms (issue 13's measurement, message-service/README.md "Room list").
//
//   source .services/env && npx tsx bench/room-list-bench.mjs [ROOMS] [MESSAGES_PER_ROOM] [BEHIND]
//
// Seeds ROOMS rooms (default 200) of one user, each with MESSAGES_PER_ROOM messages (default 20)
// from another member, the user's marker at the end except in BEHIND rooms (default 50), where
// the last 5 are unread, room states written as the consumer writes them (MongoDB, then their copies
// in Redis), seq blocks backfilled as at a service start. Then times, through createApp's HTTP
// handler: a cold list (every behind room counted), a warm one (every count from the Redis cache),
// a cold user (the user's cached counts deleted, five times: what a user who has not listed for a
// day waits while the rooms are busy with others), one after a new message in one room, and one
// with every state copy dropped from Redis (all read from MongoDB and copied again). Own database
// and key prefix, removed after.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { closeRedis, closeServer, connectMongo, createLogger, listen, loadConfig, signToken } from '@chat/service-kit';
import { testKeyPair } from '@chat/testing';
import { createApp } from '../message-service/src/app.ts';
import { messageServiceConfigSchema } from '../message-service/src/config.ts';
import { messageServiceKeys } from '../message-service/src/keys.ts';
import { createMongoMembershipStore } from '../message-service/src/membership-store.ts';
import { createMongoMessageStore } from '../message-service/src/message-store.ts';
import { blockOf } from '../message-service/src/seq-blocks.ts';

const [ROOMS, PER_ROOM, BEHIND] = [200, 20, 50].map((d, i) => Number(process.argv[i + 2] ?? d));
const say = (msg) => process.stderr.write(`[room-list-bench] ${msg}\n`);
const id = `bench_rooms_${randomBytes(3).toString('hex')}`;
const config = loadConfig(messageServiceConfigSchema, {
  ...process.env,
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  MONGO_DB: id,
  REDIS_KEY_PREFIX: `${id}:`,
  JWT_PUBLIC_KEY: testKeyPair().publicKey,
  READ_RATE_LIMIT_PER_SEC: '1000',
});
const log = createLogger('room-list-bench', 'silent');
const mongo = await connectMongo({ url: config.MONGO_URL, dbName: id, appName: 'room-list-bench', log });
const redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false });
await new Promise((resolve) => redis.once('ready', resolve));
const svc = createApp({ config, log, mongo, redis });
const server = createServer(svc.app);
const port = await listen(server, 0, '127.0.0.1');

const hex = () => randomBytes(12).toString('hex');
const user = hex();
const other = hex();
const members = createMongoMembershipStore(mongo);
const store = createMongoMessageStore(mongo);
await store.ensureIndexes();
await members.ensureIndexes();
const message = (roomId, seq) => ({
  id: randomUUID(),
  roomId,
  seq,
  version: seq,
  senderId: other,
  senderName: 'Other',
  text: `message ${seq} in ${roomId}`,
  clientMsgId: randomUUID(),
  createdAt: new Date(Date.now() + seq).toISOString(),
});
say(`seeding ${ROOMS} rooms x ${PER_ROOM} messages, ${BEHIND} behind`);
for (let r = 0; r < ROOMS; r++) {
  const roomId = `room-${r}`;
  const messages = Array.from({ length: PER_ROOM }, (_, i) => message(roomId, i + 1));
  await store.writeBatch(messages.map((m) => ({ type: 'message', message: m })));
  await svc.roomStates.record(messages);
  const marker = r < BEHIND ? PER_ROOM - 5 : PER_ROOM;
  await members.applyMemberEvents([
    { v: 1, type: 'membership', membership: { roomId, userId: user, member: true, at: 1 } },
    { v: 1, type: 'read', read: { roomId, userId: user, seq: marker } },
  ]);
}
// As at a service start: counts go by seq block (README "Room list").
await store.backfillSeqBlocks(log);
const token = signToken(
  testKeyPair().privateKey,
  { userId: user, username: 'bench', displayName: 'Bench' },
  {
    issuer: 'chat-platform',
    audience: 'chat-platform',
    ttlSec: 600,
  },
);
async function list() {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/messages/rooms`, { headers: { authorization: `Bearer ${token}` } });
  const { rooms } = await res.json();
  const ms = performance.now() - started;
  if (rooms.length !== ROOMS) throw new Error(`expected ${ROOMS} rooms, got ${rooms.length}`);
  return ms;
}
const cold = await list();
const warm = [];
for (let i = 0; i < 5; i++) warm.push(await list());
const keys = messageServiceKeys(config.REDIS_KEY_PREFIX);
const coldUser = [];
for (let i = 0; i < 5; i++) {
  await redis.del(keys.roomCounts(user));
  coldUser.push(await list());
}
const newer = message('room-0', PER_ROOM + 1);
await store.writeBatch([{ type: 'message', message: newer }]);
await svc.roomStates.record([newer]);
// As the consumer does after a write (persist-consumer.ts onStored).
await svc.history.recordStored(new Map([['room-0', { maxSeq: newer.seq, blocks: new Set([blockOf(newer.seq)]) }]]));
const oneMoved = await list();
await redis.del(...Array.from({ length: ROOMS }, (_, r) => keys.roomState(`room-${r}`)));
const statesDropped = await list();
warm.sort((a, b) => a - b);
coldUser.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    rooms: ROOMS,
    messagesPerRoom: PER_ROOM,
    behind: BEHIND,
    coldMs: Math.round(cold),
    warmMedianMs: Math.round(warm[2]),
    coldUserMs: coldUser.map((ms) => Math.round(ms)),
    oneRoomMovedMs: Math.round(oneMoved),
    stateCopiesDroppedMs: Math.round(statesDropped),
  }),
);

await closeServer(server);
await mongo.db.dropDatabase();
await mongo.close();
const leftKeys = await redis.keys(`${id}:*`);
if (leftKeys.length) await redis.del(...leftKeys);
await closeRedis(redis);
