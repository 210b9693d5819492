import type { SendMessageAck } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bindSink,
  closeClients,
  connect,
  connected,
  connectError,
  join,
  send,
  startChatNode,
  startFreezableProxy,
  tokenFor,
  userFor,
  waitFor,
  type ChatNode,
  type Sink,
} from './helpers.js';

const iso = useIsolation('chat-lifecycle');
let sink: Sink;

beforeAll(async () => {
  sink = await bindSink(iso().amqpUrl);
});
afterEach(() => closeClients());
afterAll(async () => {
  await sink?.close();
});

describe('/health, /ready, /metrics on the socket server', () => {
  let node: ChatNode;
  beforeAll(async () => {
    node = await startChatNode(iso());
  });
  afterAll(async () => {
    await node?.close();
  });

  it('reports liveness and each dependency', async () => {
    expect(await (await fetch(`${node.url}/health`)).json()).toEqual({ status: 'ok', service: 'chat-service' });
    await waitFor(async () => (await fetch(`${node.url}/ready`)).status === 200, 5000, 'ready');
    const ready = await (await fetch(`${node.url}/ready`)).json();
    expect(ready).toEqual({
      status: 'ok',
      service: 'chat-service',
      checks: { redis: true, redis_send: true, redis_pub: true, redis_sub: true, rabbitmq: true },
    });
  });

  it('counts sockets, sends by outcome, confirm latency and broadcasts', async () => {
    const socket = await connected(connect(node.url, tokenFor(userFor())));
    await join(socket, 'metered');
    expect((await send(socket, 'metered', 'counted')).ok).toBe(true);
    expect((await send(socket, 'Bad Room', 'refused')).ok).toBe(false);
    const text = await (await fetch(`${node.url}/metrics`)).text();
    expect(text).toMatch(/^chat_connected_sockets\{service="chat-service"\} 1$/m);
    expect(text).toMatch(/^chat_sends_total\{outcome="accepted",service="chat-service"\} 1$/m);
    expect(text).toMatch(/^chat_sends_total\{outcome="invalid",service="chat-service"\} 1$/m);
    expect(text).toMatch(/^chat_publish_confirm_seconds_count\{service="chat-service"\} 1$/m);
    expect(text).toMatch(/^chat_broadcasts_total\{service="chat-service"\} 1$/m);
  });

  it('answers unknown HTTP routes with the JSON error shape', async () => {
    const res = await fetch(`${node.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight sends, tells clients, closes their transports and refuses new ones', async () => {
    // Confirms are held back by a frozen proxy, so the sends are surely in flight at close().
    const amqpUrl = new URL(iso().amqpUrl);
    const proxy = await startFreezableProxy({ host: amqpUrl.hostname, port: Number(amqpUrl.port || 5672) });
    amqpUrl.host = `127.0.0.1:${proxy.port}`;
    const node = await startChatNode(iso(), { env: { AMQP_URL: amqpUrl.toString() } });
    try {
      const socket = await connected(connect(node.url, tokenFor(userFor())));
      await join(socket, 'closing');
      expect((await send(socket, 'closing', 'seeds the room')).ok).toBe(true);
      const events: string[] = [];
      socket.on('serverShutdown', (info) => events.push(`shutdown ${info.reconnectInMs}`));
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));

      proxy.freeze();
      // Ack callbacks (unlike emitWithAck's promises) run in wire order, as events do.
      const inFlight = Array.from(
        { length: 20 },
        (_, i) =>
          new Promise<SendMessageAck>((resolve, reject) =>
            socket
              .timeout(10_000)
              .emit('sendMessage', { roomId: 'closing', clientMsgId: `c${i}`, text: `in flight ${i}` }, (err, ack) => {
                events.push('ack');
                return err ? reject(err) : resolve(ack);
              }),
          ),
      );
      await new Promise((r) => setTimeout(r, 100)); // the sends reach the node and are published
      let closed = false;
      const closing = node.close().then(() => (closed = true));
      expect((await node.readiness.evaluate()).checks.draining).toBe(false);
      expect((await connectError(connect(node.url, tokenFor(userFor())))).message).toMatch(/error/i);
      await new Promise((r) => setTimeout(r, 200));
      expect(closed).toBe(false);
      expect(events).toEqual([]);

      proxy.thaw();
      const acks = await Promise.all(inFlight);
      expect(acks.every((a) => a.ok)).toBe(true);
      // A transport close (not 'io server disconnect'), so clients reconnect by themselves.
      expect(await disconnected).toBe('transport close');
      await closing;
      expect(events).toEqual([...acks.map(() => 'ack'), 'shutdown 1000']);
      const accepted = acks.flatMap((a) => (a.ok ? [a.message.id] : []));
      await waitFor(
        () => accepted.every((id) => sink.messages.some((m) => m.id === id)),
        5000,
        'acked sends published',
      );
    } finally {
      await node.close();
      await proxy.close();
    }
  });
});
