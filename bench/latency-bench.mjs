#!/usr/bin/env node
// Single-node send→receive latency of chat-service for a small room at a steady rate (issue 4).
//
//   source .services/env && npx tsx bench/latency-bench.mjs [--rate 50] [--seconds 10] [--members 5]
//   npx tsx bench/latency-bench.mjs --url http://127.0.0.1:3003   (a running node; JWT_PRIVATE_KEY
//       in the environment signs the members' tokens, and its rate limit applies)
//
// In-process (default): one chat-service node (createApp, run from source by tsx) on real Redis
// and RabbitMQ, in its own vhost with the production topology (quorum persist queue, drained
// by a plain consumer standing in for message-service) and its own key prefix, removed after.
// `members` sockets join one room; they take turns sending at `rate` msg/s, open loop (the next
// send does not wait for the previous ack). Reported: ack latency (emit → ack, i.e. through
// the publisher confirm) and delivery latency (emit → receiveMessage at each other member).
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { io as connectClient } from 'socket.io-client';
import { SOCKET_PATH } from '@chat/contracts';
import { createLogger, listen, loadConfig, signToken } from '@chat/service-kit';
import { RabbitManagement, testKeyPair } from '@chat/testing';
import { chatConfigSchema } from '../chat-service/src/config.ts';
import { createChatService } from '../chat-service/src/service.ts';
import { declareTopology } from '../message-service/src/topology.ts';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const RATE = Number(opt('rate', 50));
const SECONDS = Number(opt('seconds', 10));
const MEMBERS = Number(opt('members', 5));
const TARGET = opt('url', null);
const say = (msg) => process.stderr.write(`[latency-bench] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const env = {
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  AMQP_URL: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  RABBITMQ_MANAGEMENT_URL: process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672',
};

/** An in-process node with its own vhost and key prefix; returns its URL and a teardown. */
async function startNode() {
  const id = `bench_latency_${randomBytes(3).toString('hex')}`;
  const rabbit = new RabbitManagement(env.RABBITMQ_MANAGEMENT_URL);
  await rabbit.createVhost(id, decodeURIComponent(new URL(env.AMQP_URL).username || 'guest'));
  const amqpUrl = new URL(env.AMQP_URL);
  amqpUrl.pathname = `/${id}`;
  // Stand-in for message-service: the real topology, drained so that no backlog builds up.
  const conn = await amqp.connect(amqpUrl.toString());
  const ch = await conn.createChannel();
  await declareTopology(ch);
  await ch.prefetch(500);
  await ch.consume('message_persist_queue', (msg) => msg && ch.ack(msg));

  const config = loadConfig(chatConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    REDIS_URL: env.REDIS_URL,
    REDIS_KEY_PREFIX: `${id}:`,
    AMQP_URL: amqpUrl.toString(),
    JWT_PUBLIC_KEY: testKeyPair().publicKey,
    SEND_RATE_LIMIT_PER_MIN: '100000',
  });
  // No message-service: the send path does not read history, and the bench joins without sinceSeq.
  const service = createChatService(config, createLogger('latency-bench', 'warn'), { processMetrics: false });
  await service.infra.publisher.start();
  const port = await listen(service.app.server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    metrics: service.metrics,
    privateKey: testKeyPair().privateKey,
    stop: async () => {
      await service.close();
      await conn.close().catch(() => undefined);
      await rabbit.deleteVhost(id);
    },
  };
}

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  const ms = (v) => Number(v.toFixed(2));
  return { count: sorted.length, p50: ms(at(50)), p90: ms(at(90)), p99: ms(at(99)), max: ms(sorted.at(-1)) };
}

/** Mean publish→confirm time from the node's own histogram (includes the warm-up sends). */
async function meanConfirmMs(registry) {
  const { values } = await registry.getSingleMetric('chat_publish_confirm_seconds').get();
  const of = (name) => values.find((v) => v.metricName === name)?.value ?? 0;
  return Number(
    ((of('chat_publish_confirm_seconds_sum') / of('chat_publish_confirm_seconds_count')) * 1000).toFixed(2),
  );
}

const node = TARGET
  ? { url: TARGET, privateKey: process.env.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n'), stop: async () => undefined }
  : await startNode();
if (!node.privateKey) throw new Error('--url needs JWT_PRIVATE_KEY in the environment to sign tokens');

const roomId = `bench-${randomBytes(3).toString('hex')}`;
const sockets = [];
try {
  const sentAt = new Map();
  const delivery = [];
  const ack = [];
  let failed = 0;
  for (let i = 0; i < MEMBERS; i++) {
    const userId = randomBytes(12).toString('hex');
    const token = signToken(
      node.privateKey,
      { userId, username: `bench${i}`, displayName: `Bench ${i}` },
      {
        issuer: process.env.JWT_ISSUER ?? 'chat-platform',
        audience: process.env.JWT_AUDIENCE ?? 'chat-platform',
        ttlSec: 600,
      },
    );
    const socket = connectClient(node.url, {
      path: SOCKET_PATH,
      auth: { token },
      transports: ['websocket'],
      forceNew: true,
    });
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    socket.on('receiveMessage', (m) => {
      const t0 = sentAt.get(m.clientMsgId);
      if (t0 !== undefined && m.senderId !== userId) delivery.push(performance.now() - t0);
    });
    const joined = await socket.timeout(5000).emitWithAck('joinRoom', { roomId });
    if (!joined.ok) throw new Error(`join failed: ${joined.error.code}`);
    sockets.push(socket);
  }

  // Warm-up: seeds the room counter and JIT paths; not measured.
  for (let i = 0; i < 20; i++)
    await sockets[i % MEMBERS]
      .timeout(5000)
      .emitWithAck('sendMessage', { roomId, clientMsgId: randomUUID(), text: 'warm-up' });

  const total = Math.round(RATE * SECONDS);
  say(`${node.url}: ${MEMBERS} members, ${RATE} msg/s for ${SECONDS} s (${total} messages)`);
  const start = performance.now();
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const clientMsgId = randomUUID();
    const t0 = performance.now();
    sentAt.set(clientMsgId, t0);
    pending.push(
      sockets[i % MEMBERS]
        .timeout(10_000)
        .emitWithAck('sendMessage', { roomId, clientMsgId, text: `latency probe ${i}`.padEnd(80, '.') })
        .then(
          (res) => (res.ok ? ack.push(performance.now() - t0) : failed++),
          () => failed++,
        ),
    );
  }
  await Promise.all(pending);
  const expected = total * (MEMBERS - 1);
  const deadline = performance.now() + 5000;
  while (delivery.length < expected && performance.now() < deadline) await sleep(10);
  const elapsed = (performance.now() - start) / 1000;

  console.log(
    JSON.stringify(
      {
        target: TARGET ?? 'in-process node (real Redis + RabbitMQ, quorum persist queue)',
        members: MEMBERS,
        ratePerSec: RATE,
        achievedRatePerSec: Number((total / elapsed).toFixed(1)),
        messages: total,
        failedSends: failed,
        deliveriesExpected: expected,
        ackMs: percentiles(ack),
        deliveryMs: percentiles(delivery),
        ...(node.metrics ? { meanConfirmMs: await meanConfirmMs(node.metrics) } : {}),
        loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      },
      null,
      2,
    ),
  );
  if (failed > 0 || delivery.length !== expected) process.exitCode = 1;
} finally {
  for (const s of sockets) s.disconnect();
  await node.stop();
}
