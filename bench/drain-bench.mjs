#!/usr/bin/env node
// Drain rate of a persist-queue backlog into MongoDB (issue 4's benchmark).
//
//   source .services/env && npx tsx bench/drain-bench.mjs [N]        (N defaults to 100000)
//
// Publishes N valid messages (100 rooms) into message_persist_queue on a confirm channel with
// no consumer running, then starts message-service's consumer (createApp, run from source by
// tsx) and times the drain until every message is stored. Prints the drain rate and the batch
// sizes used. PERSIST_PREFETCH / PERSIST_BATCH_SIZE / PERSIST_BATCH_MAX_WAIT_MS from the
// environment are passed through. Uses its own vhost, database and key prefix, removed after.
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { CHAT_EXCHANGE, messageRoutingKey } from '@chat/contracts';
import { closeRedis, connectMongo, createLogger, loadConfig } from '@chat/service-kit';
import { RabbitManagement, testKeyPair } from '@chat/testing';
import { createApp } from '../message-service/src/app.ts';
import { messageServiceConfigSchema } from '../message-service/src/config.ts';
import { messageModel } from '../message-service/src/message-model.ts';
import { declareTopology } from '../message-service/src/topology.ts';

const N = Number(process.argv[2] ?? 100_000);
const ROOMS = 100;
const env = {
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  AMQP_URL: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
  RABBITMQ_MANAGEMENT_URL: process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672',
};
const say = (msg) => process.stderr.write(`[drain-bench] ${msg}\n`);

const id = `bench_drain_${randomBytes(3).toString('hex')}`;
const rabbit = new RabbitManagement(env.RABBITMQ_MANAGEMENT_URL);
await rabbit.createVhost(id, decodeURIComponent(new URL(env.AMQP_URL).username || 'guest'));
const amqpUrl = new URL(env.AMQP_URL);
amqpUrl.pathname = `/${id}`;

const config = loadConfig(messageServiceConfigSchema, {
  ...process.env,
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  AMQP_URL: amqpUrl.toString(),
  MONGO_URL: env.MONGO_URL,
  MONGO_DB: id,
  REDIS_URL: env.REDIS_URL,
  REDIS_KEY_PREFIX: `${id}:`,
  JWT_PUBLIC_KEY: testKeyPair().publicKey,
});
const log = createLogger('drain-bench', 'error');
const mongo = await connectMongo({ url: env.MONGO_URL, dbName: id, appName: 'drain-bench', log });
const redis = new Redis(env.REDIS_URL, { enableOfflineQueue: false });
await new Promise((resolve) => redis.once('ready', resolve));
const service = createApp({ config, log, mongo, redis });

try {
  // ---- backlog, consumer stopped ----
  const conn = await amqp.connect(amqpUrl.toString());
  const ch = await conn.createConfirmChannel();
  await declareTopology(ch);
  const seqs = new Array(ROOMS).fill(0);
  const createdAt = new Date().toISOString();
  let t = performance.now();
  for (let i = 0; i < N; i++) {
    const room = i % ROOMS;
    const message = {
      id: randomUUID(),
      roomId: `bench-room-${room}`,
      seq: ++seqs[room],
      senderId: randomBytes(12).toString('hex'),
      senderName: 'Bench',
      text: `backlog message ${i} `.padEnd(80, 'x'),
      clientMsgId: randomUUID(),
      createdAt,
    };
    const ok = ch.publish(CHAT_EXCHANGE, messageRoutingKey(message.roomId), Buffer.from(JSON.stringify(message)), {
      persistent: true,
      contentType: 'application/json',
    });
    if (!ok) await new Promise((resolve) => ch.once('drain', resolve));
    if (i % 5000 === 4999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  const publishSec = (performance.now() - t) / 1000;
  const backlog = (await ch.checkQueue('message_persist_queue')).messageCount;
  await conn.close();
  say(`published ${N} in ${publishSec.toFixed(1)} s (${Math.round(N / publishSec)} msg/s); queue holds ${backlog}`);

  // ---- drain ----
  t = performance.now();
  await service.start();
  const counter = async (name) => {
    const metric = await service.metrics.getSingleMetric(name)?.get();
    return metric?.values ?? [];
  };
  let stored = 0;
  while (stored < N) {
    await new Promise((r) => setTimeout(r, 100));
    const values = await counter('persist_messages_stored_total');
    stored = values[0]?.value ?? 0;
  }
  const drainSec = (performance.now() - t) / 1000;
  const sizes = await counter('persist_batch_size');
  const sum = sizes.find((v) => v.metricName === 'persist_batch_size_sum')?.value ?? 0;
  const count = sizes.find((v) => v.metricName === 'persist_batch_size_count')?.value ?? 0;
  const writes = await counter('persist_batch_write_duration_seconds');
  const writeSum = writes.find((v) => v.metricName === 'persist_batch_write_duration_seconds_sum')?.value ?? 0;
  const inMongo = await messageModel(mongo).estimatedDocumentCount();
  await service.stop();

  const result = {
    messages: N,
    drainSeconds: Number(drainSec.toFixed(2)),
    drainRatePerSec: Math.round(N / drainSec),
    batches: count,
    meanBatchSize: Number((sum / count).toFixed(1)),
    configuredBatchSize: config.PERSIST_BATCH_SIZE,
    prefetch: config.PERSIST_PREFETCH,
    meanInsertManyMs: Number(((writeSum / count) * 1000).toFixed(1)),
    storedInMongo: inMongo,
    publishRatePerSec: Math.round(N / publishSec),
    mongo: env.MONGO_URL,
  };
  console.log(JSON.stringify(result, null, 2));
  if (inMongo !== N) process.exitCode = 1;
} finally {
  service.history.close();
  await closeRedis(redis);
  await mongo.dropDatabase().catch(() => undefined);
  await mongo.close();
  await rabbit.deleteVhost(id);
}
