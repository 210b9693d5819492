import { randomUUID } from 'node:crypto';
import type { Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAdmission } from '../src/adapters/admission_redis.js';
import { chatKeys } from '../src/adapters/keys.js';
import { createMessageHandlers } from '../src/rooms/message-handlers.js';
import { createRedisAttachmentResolver } from '../src/adapters/attachments_redis.js';
import { createChatMetrics } from '../src/metrics.js';
import { AmqpPublisher } from '../src/adapters/publisher_amqp.js';
import type { RecentBuffer } from '../src/adapters/recent-buffer.js';
import type { HistoryClient } from '../src/adapters/history-client.js';
import { createMessageStates } from '../src/rooms/message-states.js';
import { createRedisRecentBuffer } from '../src/adapters/recent-buffer_redis.js';
import type { ChatServer, SocketData } from '../src/socket/socket-types.js';
import { bindSink, log, startFreezableProxy, userFor, waitFor, type Sink } from './helpers.js';

/**
 * The sendMessage handler on real Redis (admission and recent buffer) and a real RabbitMQ
 * publisher, reached through a proxy that can hold the broker's confirms; a publish fails
 * for certain while the sink queue is unbound (mandatory publishes come back unroutable).
 */
const iso = useIsolation('chat-send-message');
let redis: Redis;
let proxy: Awaited<ReturnType<typeof startFreezableProxy>>;
let publisher: AmqpPublisher;
let sink: Sink;
beforeAll(async () => {
  redis = new Redis(iso().redisUrl);
  sink = await bindSink(iso().amqpUrl);
  const broker = new URL(iso().amqpUrl);
  proxy = await startFreezableProxy({ host: broker.hostname, port: Number(broker.port || 5672) });
  broker.hostname = '127.0.0.1';
  broker.port = String(proxy.port);
  publisher = new AmqpPublisher({ url: broker.toString(), name: 'send-message-test', log, confirmTimeoutMs: 5000 });
  await publisher.start();
});
afterAll(async () => {
  await publisher?.close();
  await proxy?.close();
  await sink?.close();
  await redis?.quit();
});

/** These tests send no replies: nothing reads history. */
const noHistory: HistoryClient = {
  page: () => Promise.reject(new Error('no history here')),
  message: () => Promise.reject(new Error('no history here')),
  rooms: () => Promise.reject(new Error('no history here')),
};

function setup(opts: { ratePerMinute?: number; draining?: boolean; recent?: (r: RecentBuffer) => RecentBuffer } = {}) {
  const keys = chatKeys(`${iso().redisPrefix}${randomUUID()}:`);
  const admission = createRedisAdmission({
    redis,
    keys,
    ratePerMinute: opts.ratePerMinute ?? 100,
    dedupeTtlSec: 3600,
    pendingTtlSec: 30,
  });
  const buffer = createRedisRecentBuffer({ redis, keys, size: 10 });
  const broadcasts: Message[] = [];
  const io = { to: () => ({ emit: (_event: string, m: Message) => broadcasts.push(m) }) } as unknown as ChatServer;
  const handlers = createMessageHandlers({
    io,
    admission,
    recent: opts.recent ? opts.recent(buffer) : buffer,
    states: createMessageStates(buffer, noHistory),
    publisher,
    // Public rooms only here: direct rooms' membership is membership.test.ts'.
    memberships: { openDirect: () => Promise.resolve() },
    attachments: createRedisAttachmentResolver(redis, iso().redisPrefix),
    metrics: createChatMetrics(new Registry()),
    log,
    isDraining: () => opts.draining ?? false,
    confirmTimeoutMs: 5000,
  });
  // Rooms of their own: the broker and the sink are shared by the file's tests.
  const room = (name = 'lobby') => `${name}-${suffix}`;
  const suffix = randomUUID().slice(0, 8);
  const caller: SocketData = { user: userFor(), token: 'token' };
  const send = (text: string, clientMsgId: string = randomUUID(), roomId = room(), who = caller) =>
    handlers.sendMessage(who, { roomId, clientMsgId, text });
  /** What the broker routed for this test's rooms. */
  const published = () => sink.messages.filter((m) => m.roomId.endsWith(suffix));
  return { send, room, caller, keys, admission, buffer, published, broadcasts, handlers };
}

/** Wait until the broker has routed `n` messages of the test's rooms (the sink consumes asynchronously). */
const routed = (t: ReturnType<typeof setup>, n: number) =>
  waitFor(() => t.published().length >= n, 5000, `${n} messages in the sink`);

describe('sendMessage handler (real Redis and RabbitMQ)', () => {
  it('gives a new room consecutive seqs from the clock floor, with no history to ask', async () => {
    const t = setup();
    const acks = await Promise.all([t.send('a'), t.send('b'), t.send('c')]);
    const seqs = acks.map((a) => a.message.seq).sort((x, y) => x - y);
    expect(seqs[0]).toBeGreaterThan(Date.now() * 100 - 6_000_000_000); // Redis' clock in 10 µs ticks, within a minute of ours
    expect(String(seqs[0]).length).toBeLessThanOrEqual(15); // the history API's bound
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
  });

  it('keeps the same clientMsgId in two rooms apart: two messages, both published', async () => {
    const t = setup();
    const a = await t.send('in a', 'same-id', t.room('a'));
    const b = await t.send('in b', 'same-id', t.room('b'));
    expect(b.message).toMatchObject({ roomId: t.room('b'), text: 'in b' });
    expect(b.message.id).not.toBe(a.message.id);
    await routed(t, 2);
    expect(t.published().map((m) => m.id)).toEqual([a.message.id, b.message.id]);
  });

  it('answers a resend with the original, rebuilt from a compact record', async () => {
    const t = setup();
    const first = await t.send('hello', 'resend-id');
    expect((await t.send('hello', 'resend-id')).message).toEqual(first.message);
    const record = await redis.get(t.keys.sentMessage(first.message.id));
    expect(record!.length).toBeLessThan(64);
    await expect(t.send('other text', 'resend-id')).rejects.toMatchObject({ code: 'CONFLICT' });
    await t.send('marker');
    await routed(t, 2);
    expect(t.published().map((m) => m.text)).toEqual(['hello', 'marker']);
  });

  it('stores the usernames a message @-mentions on it, the same on a resend and in the queue', async () => {
    const t = setup();
    const first = await t.send('ping @bob and @carol.', 'mention-id');
    expect(first.message.mentions).toEqual(['bob', 'carol']);
    expect((await t.send('ping @bob and @carol.', 'mention-id')).message).toEqual(first.message);
    await routed(t, 1);
    expect(t.published()[0]?.mentions).toEqual(['bob', 'carol']);
  });

  it('a resend after its dedupe record is gone carries the same message id (the stored one stays the acked one)', async () => {
    const t = setup();
    const first = await t.send('once', 'lost-record');
    await redis.del(t.keys.sentMessage(first.message.id));
    const again = await t.send('once', 'lost-record');
    expect(again.message.id).toBe(first.message.id);
    await routed(t, 2);
    expect(t.published().map((m) => m.id)).toEqual([first.message.id, first.message.id]);
  });

  it('makes a concurrent resend wait for the first and answer its message; publishes and broadcasts once', async () => {
    const t = setup();
    await t.send('warm');
    proxy.freeze(); // the broker's confirms are held
    const first = t.send('once', 'same-id');
    const second = t.send('once', 'same-id');
    await new Promise((r) => setTimeout(r, 100));
    proxy.thaw();
    const [a, b] = await Promise.all([first, second]);
    expect(b.message).toEqual(a.message);
    await t.send('marker');
    await routed(t, 3);
    expect(t.published().filter((m) => m.id === a.message.id)).toHaveLength(1);
    expect(t.broadcasts.filter((m) => m.clientMsgId === 'same-id')).toHaveLength(1);
  });

  it('after a failed publish broadcasts nothing and accepts the same clientMsgId again with a new seq', async () => {
    const t = setup();
    const warm = await t.send('warm');
    await sink.unbind();
    try {
      await expect(t.send('retry me', 'retry-id')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await sink.rebind();
    }
    expect(t.broadcasts.map((m) => m.text)).toEqual(['warm']);
    const retried = await t.send('retry me', 'retry-id');
    expect(retried.message.seq).toBe(warm.message.seq + 2); // the failed attempt's seq is a gap
    expect(t.broadcasts.map((m) => m.text)).toEqual(['warm', 'retry me']);
    expect((await t.buffer.since(t.room(), warm.message.seq, 10)).messages).toEqual([retried.message]);
  });

  it('rate-limits accepted sends per user but still answers resends of accepted ones', async () => {
    const t = setup({ ratePerMinute: 2 });
    const first = await t.send('1', 'first');
    await t.send('2');
    await expect(t.send('3')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect((await t.send('1', 'first')).message).toEqual(first.message);
    const other = { user: userFor(), token: 'token' };
    expect((await t.send('other user', randomUUID(), t.room(), other)).ok).toBe(true);
  });

  it('room events take the next seq from the same authority and spend the same send budget', async () => {
    const t = setup({ ratePerMinute: 3 });
    const sent = await t.send('a message');
    const event = await t.admission.admitEvent(t.caller.user.userId, t.room());
    expect(event).toEqual({ kind: 'accepted', seq: sent.message.seq + 1 });
    expect((await t.send('another')).message.seq).toBe(sent.message.seq + 2);
    expect(await t.admission.admitEvent(t.caller.user.userId, t.room())).toMatchObject({ kind: 'rate-limited' });
    await expect(t.send('over the budget')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('refuses sends while draining, and a dm room of others, before touching any backend', async () => {
    await expect(setup({ draining: true }).send('late')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const t = setup();
    const dm = `dm:${'a'.repeat(24)}:${'b'.repeat(24)}`;
    await expect(t.send('hi', randomUUID(), dm)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(t.broadcasts).toEqual([]);
  });

  it('retries a failed buffer write in the background, and recordsSettled waits for it', async () => {
    let failures = 1;
    const t = setup({
      recent: (buffer) => ({
        ...buffer,
        push: (...args) => (failures-- > 0 ? Promise.reject(new Error('redis blip')) : buffer.push(...args)),
      }),
    });
    const { message } = await t.send('kept');
    expect(await t.handlers.recordsSettled(10_000)).toBe(true);
    expect((await t.buffer.since(t.room(), 0, 10)).messages).toEqual([message]);
  });
});
