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
      checks: { redis: true, redis_pub: true, redis_sub: true, rabbitmq: true },
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
  it('finishes in-flight sends, tells clients, disconnects them and refuses new ones', async () => {
    const node = await startChatNode(iso(), { env: { SEND_RATE_LIMIT_PER_MIN: '10000' } });
    const socket = await connected(connect(node.url, tokenFor(userFor())));
    await join(socket, 'closing');
    const shutdownNotice = new Promise<{ reconnectInMs: number }>((resolve) => socket.once('serverShutdown', resolve));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));

    // Close once the first ack is back, with the other sends still on their way or publishing.
    let closeStartedAt = Infinity;
    const settledAt: number[] = [];
    const inFlight = Array.from({ length: 200 }, (_, i) =>
      send(socket, 'closing', `in flight ${i}`).then(
        (ack) => ((settledAt[i] = performance.now()), ack),
        () => null, // emitted after the server disconnected us: the client resends after reconnecting
      ),
    );
    await inFlight[0];
    closeStartedAt = performance.now();
    const closing = node.close();
    expect((await node.readiness.evaluate()).checks.draining).toBe(false);
    const late = await connectError(connect(node.url, tokenFor(userFor())));
    expect(late.message).toMatch(/error/i);

    const results = await Promise.all(inFlight);
    const acks = results.filter((a) => a !== null);
    for (const ack of acks) if (!ack.ok) expect(ack.error.code).toBe('UNAVAILABLE');
    const okAfterClose = acks.filter((a, i) => a.ok && settledAt[i]! > closeStartedAt);
    expect(okAfterClose.length).toBeGreaterThan(0);
    expect(await shutdownNotice).toEqual({ reconnectInMs: 1000 });
    // A transport close (not 'io server disconnect') so that clients reconnect on their own.
    expect(await disconnected).toBe('transport close');
    await closing;
    const accepted = acks.flatMap((a) => (a.ok ? [a.message.id] : []));
    await waitFor(() => accepted.every((id) => sink.messages.some((m) => m.id === id)), 5000, 'acked sends published');
  });
});
