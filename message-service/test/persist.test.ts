import os from 'node:os';
import {
  DEAD_LETTER_REASON_HEADER,
  MESSAGE_PERSIST_DLQ,
  MESSAGE_PERSIST_QUEUE,
  MESSAGE_PERSIST_QUEUE_ARGS,
  type Message,
} from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageModel } from '../src/message-model.js';
import {
  createPublisher,
  makeMessage,
  metricValue,
  queueDepth,
  startService,
  storedSeqs,
  waitFor,
  type RunningService,
} from './helpers.js';

const iso = useIsolation('ms-persist');
let service: RunningService;
let publisher: Awaited<ReturnType<typeof createPublisher>>;
/** Per-batch write delay, so a test can be sure its fault lands mid-stream on a fast or busy machine. */
let writeDelayMs = 0;

beforeAll(async () => {
  service = await startService(iso(), {
    wrapStore: (inner) => ({
      ...inner,
      writeBatch: async (events) => {
        if (writeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, writeDelayMs));
        return inner.writeBatch(events);
      },
    }),
  });
  publisher = await createPublisher(iso().amqpUrl);
});

afterAll(async () => {
  await publisher?.close();
  await service?.close();
});

const stored = (roomId: string) => messageModel(service.mongo).countDocuments({ roomId });
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function ourConnections() {
  return (await iso().rabbit.connections(iso().vhost)).filter((c) => c.clientName?.startsWith('message-service@'));
}

const depth = (queue: string) => queueDepth(publisher.conn, queue);

describe('persist consumer', () => {
  it('declares the contract topology and names its connection and consumer', async () => {
    const q = await iso().rabbit.queue(iso().vhost, MESSAGE_PERSIST_QUEUE);
    expect(q.arguments).toMatchObject(MESSAGE_PERSIST_QUEUE_ARGS);
    const name = `message-service@${os.hostname()}`;
    // The management API lists connections from its stats, which lag a few seconds.
    await waitFor(async () => (await ourConnections()).length === 1, 15_000, 'connection listed');
    expect((await ourConnections()).map((c) => c.clientName)).toEqual([name]);
    type Consumer = { consumer_tag: string; prefetch_count: number; queue: { name: string } };
    const listConsumers = async () =>
      (await iso().rabbit.request('GET', `/consumers/${encodeURIComponent(iso().vhost)}`)) as Consumer[];
    // Consumers come from the same lagging stats, possibly a refresh after the connection.
    await waitFor(async () => (await listConsumers()).length > 0, 15_000, 'consumer listed');
    const consumers = await listConsumers();
    expect(consumers).toContainEqual(
      expect.objectContaining({
        consumer_tag: name,
        prefetch_count: 500,
        queue: expect.objectContaining({ name: MESSAGE_PERSIST_QUEUE }),
      }),
    );
  });

  it('stores every published message exactly once, redelivered copies included', async () => {
    const roomId = 'persist-once';
    const messages = range(500).map((seq) => makeMessage({ roomId, seq }));
    for (const m of messages) publisher.publish(m);
    for (const m of messages.slice(0, 50)) publisher.publish(m); // the same message published twice
    await publisher.confirmed();
    await waitFor(
      async () => (await stored(roomId)) === 500 && (await metricValue(service.svc, 'persist_duplicates_total')) >= 50,
    );
    expect(await storedSeqs(service.mongo, roomId)).toEqual(range(500));
    expect(await metricValue(service.svc, 'persist_duplicates_total')).toBe(50);
    expect(await metricValue(service.svc, 'persist_messages_stored_total')).toBe(500);
    await waitFor(async () => (await depth(MESSAGE_PERSIST_QUEUE)) === 0, 5000, 'queue drained');
    // Batches, not one write per message.
    expect(await metricValue(service.svc, 'persist_batches_total')).toBeLessThan(275);
  });

  it('stops mid-stream and restarts without losing or doubling a message', async () => {
    const roomId = 'persist-restart';
    const messages = range(1200).map((seq) => makeMessage({ roomId, seq }));
    for (const m of messages.slice(0, 600)) publisher.publish(m);
    await publisher.confirmed();
    await waitFor(async () => (await stored(roomId)) > 0, 10_000, 'first batch');
    await service.svc.stop(); // graceful: in-flight batch written and acked, the rest stays queued
    const afterStop = await stored(roomId);
    for (const m of messages.slice(600)) publisher.publish(m);
    await publisher.confirmed();
    expect(await stored(roomId)).toBe(afterStop); // nobody consumes while stopped
    await service.svc.start();
    await waitFor(async () => (await stored(roomId)) === 1200, 20_000, 'all 1200 stored');
    expect(await storedSeqs(service.mongo, roomId)).toEqual(range(1200));
  });

  it('survives the broker closing its connection mid-stream (unacked deliveries redelivered, stored once)', async () => {
    const roomId = 'persist-conn-closed';
    const total = 2000;
    await waitFor(async () => (await ourConnections()).length === 1, 15_000, 'connection listed');
    const [connection] = await ourConnections();
    const messages = range(total).map((seq) => makeMessage({ roomId, seq }));
    writeDelayMs = 100; // at least 10 batches of 200: the close lands mid-stream however fast MongoDB is
    for (const m of messages) publisher.publish(m);
    await publisher.confirmed();
    await waitFor(async () => (await stored(roomId)) > 0, 10_000, 'first batch');
    expect(await stored(roomId)).toBeLessThan(total);
    await iso().rabbit.closeConnection(connection!.name);
    writeDelayMs = 0;
    await waitFor(async () => (await stored(roomId)) === total, 20_000, 'all stored');
    expect(await storedSeqs(service.mongo, roomId)).toEqual(range(total));
    await waitFor(async () => (await depth(MESSAGE_PERSIST_QUEUE)) === 0, 10_000, 'queue drained');
  });

  it('dead-letters non-JSON and schema-invalid messages with a reason and keeps consuming', async () => {
    const roomId = 'persist-poison';
    const valid = makeMessage({ roomId, seq: 1 });
    const { text: _text, ...missingText } = makeMessage({ roomId, seq: 2 });
    publisher.publish(Buffer.from('{not json'));
    publisher.publish(missingText as unknown as Message);
    publisher.publish(
      { ...makeMessage({ roomId, seq: 3 }), roomId: { $gt: '' } } as unknown as Message,
      'messages.persist-poison',
    );
    publisher.publish(valid);
    await publisher.confirmed();
    await waitFor(async () => (await stored(roomId)) === 1, 10_000, 'valid message stored');
    await waitFor(async () => (await depth(MESSAGE_PERSIST_DLQ)) === 3, 10_000, 'three in the DLQ');

    const ch = await publisher.conn.createChannel();
    const reasons: string[] = [];
    for (let i = 0; i < 3; i++) {
      const got = await ch.get(MESSAGE_PERSIST_DLQ, { noAck: true });
      if (got === false) throw new Error('DLQ empty');
      reasons.push(String(got.properties.headers?.[DEAD_LETTER_REASON_HEADER]));
      expect(got.properties.headers?.['x-original-routing-key']).toMatch(/^messages\./);
    }
    await ch.close();
    expect(reasons[0]).toMatch(/not valid JSON/);
    expect(reasons[1]).toMatch(/not a Message: text/);
    expect(reasons[2]).toMatch(/not a Message: roomId/);
    expect(await metricValue(service.svc, 'persist_dead_lettered_total', 'reason="invalid_json"')).toBe(1);
    expect(await metricValue(service.svc, 'persist_dead_lettered_total', 'reason="invalid_schema"')).toBe(2);
    expect(await depth(MESSAGE_PERSIST_QUEUE)).toBe(0);
  });
});
