import { DEAD_LETTER_REASON_HEADER, MESSAGE_PERSIST_DLQ, MESSAGE_PERSIST_QUEUE, type Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import type { GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageServiceKeys } from '../src/keys.js';
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

// Against the shared FerretDB on PostgreSQL, which refuses U+0000 in a string (SQLSTATE 22P05)
// as a command error for the whole insert, after storing part of the batch.
const iso = useIsolation('ms-persist-isolation');
let service: RunningService;
let publisher: Awaited<ReturnType<typeof createPublisher>>;

beforeAll(async () => {
  service = await startService(iso(), { env: { PERSIST_BATCH_MAX_WAIT_MS: '200' } });
  publisher = await createPublisher(iso().amqpUrl);
});

afterAll(async () => {
  await publisher?.close();
  await service?.close();
});

const depth = (queue: string) => queueDepth(publisher.conn, queue);
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const keys = () => messageServiceKeys(iso().redisPrefix);

/** Take every message from the DLQ: bodies and reason headers. */
async function drainDlq(expected: number): Promise<{ body: Message; reason: string }[]> {
  await waitFor(async () => (await depth(MESSAGE_PERSIST_DLQ)) === expected, 15_000, `${expected} in the DLQ`);
  const ch = await publisher.conn.createChannel();
  const out: { body: Message; reason: string }[] = [];
  for (let got: GetMessage | false; (got = await ch.get(MESSAGE_PERSIST_DLQ, { noAck: true })) !== false;) {
    out.push({
      body: JSON.parse(got.content.toString()) as Message,
      reason: String(got.properties.headers?.[DEAD_LETTER_REASON_HEADER]),
    });
  }
  await ch.close();
  return out;
}

describe('a document MongoDB refuses', () => {
  it('is dead-lettered with the reason while every good message of its batch, in every room, is stored', async () => {
    const rooms = ['iso-a', 'iso-b', 'iso-c'];
    const good = rooms.flatMap((roomId) => range(40).map((seq) => makeMessage({ roomId, seq })));
    // A body queued before the contract refused NUL (item 2a): the schema the consumer applies
    // now lets a NUL in senderName through, PostgreSQL does not.
    const poison = makeMessage({ roomId: 'iso-b', seq: 41, senderName: 'Mal\u0000lory' });
    const textNul = makeMessage({ roomId: 'iso-c', seq: 41, text: 'a\u0000b' });
    // Interleaved, so the poison lands in the middle of a batch with all three rooms.
    const batch = [...good.slice(0, 60), poison, textNul, ...good.slice(60)];
    for (const m of batch) publisher.publish(m);
    await publisher.confirmed();

    const stored = () => messageModel(service.mongo).countDocuments({ roomId: { $in: rooms } });
    await waitFor(async () => (await stored()) === good.length, 30_000, 'every good message stored');
    for (const roomId of rooms) expect(await storedSeqs(service.mongo, roomId)).toEqual(range(40));

    const dead = await drainDlq(2);
    const refused = dead.find((d) => d.body.id === poison.id);
    expect(refused?.reason).toMatch(/^MongoDB refused the document: .*SQLSTATE 22P05/);
    expect(dead.find((d) => d.body.id === textNul.id)?.reason).toMatch(/not a Message: text/);
    expect(await metricValue(service.svc, 'persist_dead_lettered_total', 'reason="write_rejected"')).toBe(1);
    expect(await metricValue(service.svc, 'persist_batch_splits_total')).toBeGreaterThan(0);
    expect(await metricValue(service.svc, 'persist_write_retries_total')).toBe(0); // never taken for an outage
    await waitFor(async () => (await depth(MESSAGE_PERSIST_QUEUE)) === 0, 10_000, 'queue drained');

    // Storage goes on for every room.
    const later = rooms.map((roomId) => makeMessage({ roomId, seq: 50 }));
    for (const m of later) publisher.publish(m);
    await publisher.confirmed();
    await waitFor(async () => (await stored()) === good.length + later.length, 15_000, 'later messages stored');
    // The mark is raised after the insert, before the acks: a count can see the insert first.
    await waitFor(async () => (await service.redis.get(keys().roomStoredMax('iso-a'))) === '50', 5_000, 'stored-max');
    const ready = await fetch(`${service.url}/ready`);
    expect(await ready.json()).toMatchObject({ checks: { persist: true } });
    expect(await metricValue(service.svc, 'persist_consumer_stuck')).toBe(0);
  });
});

describe('a duplicate key', () => {
  it('from a different message with a used (roomId, seq) is a seq conflict: dead-lettered, counted, the first kept', async () => {
    const roomId = 'iso-seq';
    const first = makeMessage({ roomId, seq: 5 });
    const reuse = makeMessage({ roomId, seq: 5 });
    publisher.publish(first);
    await publisher.confirmed();
    await waitFor(async () => (await storedSeqs(service.mongo, roomId)).length === 1, 10_000, 'first stored');
    publisher.publish(reuse);
    publisher.publish(first); // a redelivery of the stored one: harmless
    await publisher.confirmed();

    const [dead] = await drainDlq(1);
    expect(dead?.body.id).toBe(reuse.id);
    expect(dead?.reason).toBe(`seq-conflict: seq 5 of room ${roomId} is held by message ${first.id}`);
    expect(await metricValue(service.svc, 'persist_seq_conflicts_total')).toBe(1);
    expect(await metricValue(service.svc, 'persist_dead_lettered_total', 'reason="seq_conflict"')).toBe(1);
    await waitFor(async () => (await depth(MESSAGE_PERSIST_QUEUE)) === 0, 10_000, 'queue drained');
    const docs = await messageModel(service.mongo).find({ roomId }, { _id: 0, id: 1 }).lean();
    expect(docs).toEqual([{ id: first.id }]);
  });

  it('on (roomId, senderId, clientMsgId): the same id is a duplicate kept at the newest acked seq, another id is logged and counted, not dead-lettered', async () => {
    const roomId = 'iso-resend';
    const original = makeMessage({ roomId, seq: 1 });
    publisher.publish(original);
    await publisher.confirmed();
    await waitFor(async () => (await storedSeqs(service.mongo, roomId)).length === 1, 10_000, 'original stored');
    const duplicatesBefore = await metricValue(service.svc, 'persist_duplicates_total');

    // A resend after its dedupe record was lost: deterministic id, so the same identity with a new seq.
    publisher.publish({ ...original, seq: 2 });
    await publisher.confirmed();
    await waitFor(
      async () => (await metricValue(service.svc, 'persist_duplicates_total')) === duplicatesBefore + 1,
      10_000,
      'same-id resend taken as a duplicate',
    );
    expect(await metricValue(service.svc, 'persist_client_msg_id_conflicts_total')).toBe(0);
    // Acked and broadcast at seq 2, so kept there (acked means stored as acked) ...
    await waitFor(async () => (await storedSeqs(service.mongo, roomId))[0] === 2, 10_000, 'moved to the acked seq');
    expect(await metricValue(service.svc, 'persist_moved_to_newer_seq_total')).toBe(1);
    // ... and a late redelivery of the first copy never moves it back.
    publisher.publish(original);
    await publisher.confirmed();
    await waitFor(
      async () => (await metricValue(service.svc, 'persist_duplicates_total')) === duplicatesBefore + 2,
      10_000,
      'redelivery of the first copy taken as a duplicate',
    );

    // The same resend under old code: a new random id.
    publisher.publish({ ...original, id: 'legacy-random-id', seq: 3 });
    await publisher.confirmed();
    await waitFor(
      async () => (await metricValue(service.svc, 'persist_client_msg_id_conflicts_total')) === 1,
      10_000,
      'other-id resend counted',
    );
    await waitFor(async () => (await depth(MESSAGE_PERSIST_QUEUE)) === 0, 10_000, 'queue drained (acked)');
    expect(await depth(MESSAGE_PERSIST_DLQ)).toBe(0);
    expect(await metricValue(service.svc, 'persist_duplicates_total')).toBe(duplicatesBefore + 2);
    const docs = await messageModel(service.mongo).find({ roomId }, { _id: 0, id: 1, seq: 1 }).lean();
    expect(docs).toEqual([{ id: original.id, seq: 2 }]);
  });
});
