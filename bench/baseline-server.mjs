#!/usr/bin/env node
// The bench's baseline (issue 17): the least a chat server on this stack must do per message —
// Socket.IO with the Redis adapter on the same Redis, a per-room seq in memory, a broadcast,
// and a fire-and-forget publish to RabbitMQ (no confirms, to an exchange nothing is bound to,
// so the broker discards it). No tokens, no dedupe, no rate limit, no recent buffer, no
// metrics, no logging. bench/run.mjs drives it with the same tools/socket_test.js load as
// chat-service (with --no-verify-history: nothing is stored) and reports chat-service's CPU
// per delivery and latency as ratios to this server's.
//
//   PORT=3900 REDIS_URL=... REDIS_KEY_PREFIX=... AMQP_URL=... node bench/baseline-server.mjs
//
// HTTP: just enough for socket_test (POST /auth/register|login|refresh answer a dummy
// {user, token}; GET /ready).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const PORT = Number(process.env.PORT ?? 3900);
const HOST = process.env.HOST ?? '127.0.0.1';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = process.env.REDIS_KEY_PREFIX ?? 'bench-baseline:';
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Declared here, never bound: RabbitMQ drops what is published to it. */
const EXCHANGE = 'bench.baseline.discard';
/** A 24-hex user id (contracts USER_ID_PATTERN) shared by every client. */
const USER = { id: '000000000000000000000001', username: 'baseline', displayName: 'baseline' };

const pub = new Redis(REDIS_URL);
const sub = pub.duplicate();
const amqpConn = await amqp.connect(AMQP_URL);
const channel = await amqpConn.createChannel();
await channel.assertExchange(EXCHANGE, 'fanout', { durable: false, autoDelete: false });

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const http = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ready') return json(res, 200, { status: 'ok' });
  if (req.method === 'POST' && /^\/auth\/(register|login|refresh)$/.test(req.url)) {
    req.resume();
    return req.on('end', () => json(res, req.url === '/auth/register' ? 201 : 200, { user: USER, token: 'baseline' }));
  }
  json(res, 404, { error: { code: 'NOT_FOUND', message: 'baseline server' } });
});

const io = new Server(http, {
  serveClient: false,
  cors: { origin: true },
  adapter: createAdapter(pub, sub, { key: `${PREFIX}socket.io` }),
});

/** Last seq per room, in memory (the baseline has one node). */
const lastSeq = new Map();

io.on('connection', (socket) => {
  socket.on('joinRoom', async (payload, ack) => {
    const roomId = String(payload?.roomId ?? '');
    await socket.join(roomId);
    if (typeof ack === 'function')
      ack({ ok: true, room: { id: roomId, lastSeq: lastSeq.get(roomId) ?? 0 }, missed: [], hasMore: false });
  });
  socket.on('sendMessage', (payload, ack) => {
    const roomId = String(payload?.roomId ?? '');
    const seq = (lastSeq.get(roomId) ?? 0) + 1;
    lastSeq.set(roomId, seq);
    const message = {
      id: randomUUID(),
      roomId,
      seq,
      senderId: USER.id,
      senderName: USER.displayName,
      text: String(payload?.text ?? ''),
      clientMsgId: String(payload?.clientMsgId ?? ''),
      createdAt: new Date().toISOString(),
    };
    const body = JSON.stringify(message);
    channel.publish(EXCHANGE, roomId, Buffer.from(body), { contentType: 'application/json', messageId: message.id });
    io.to(roomId).emit('receiveMessage', message);
    if (typeof ack === 'function') ack({ ok: true, message });
  });
});

http.listen(PORT, HOST, () => process.stderr.write(`baseline listening on http://${HOST}:${PORT}\n`));

const stop = () => {
  io.close();
  Promise.allSettled([amqpConn.close(), pub.quit(), sub.quit()]).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
