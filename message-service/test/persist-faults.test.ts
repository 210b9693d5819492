import { DEAD_LETTER_REASON_HEADER, MESSAGE_PERSIST_DLQ, MESSAGE_PERSIST_QUEUE, type Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { messageModel } from '../src/message-model.js';
import type { InsertOutcome, MessageStore } from '../src/message-store.js';
import {
  createPublisher,
  makeMessage,
  metricValue,
  queueDepth,
  startService,
  waitFor,
  type RunningService,
} from './helpers.js';

/** The MongoDB store, with inserts that can be slowed down or refuse chosen documents. */
class FaultyStore implements MessageStore {
  insertDelayMs = 0;
  insertsStarted = 0;
  refuse: (m: Message) => boolean = () => false;

  constructor(private readonly inner: MessageStore) {}

  ensureIndexes = () => this.inner.ensureIndexes();
  backfillSeqBlocks: MessageStore['backfillSeqBlocks'] = (log) => this.inner.backfillSeqBlocks(log);
  findPage: MessageStore['findPage'] = (roomId, query) => this.inner.findPage(roomId, query);
  findByUniqueKeys: MessageStore['findByUniqueKeys'] = (messages) => this.inner.findByUniqueKeys(messages);
  moveToNewerSeq: MessageStore['moveToNewerSeq'] = (message, fromSeq) => this.inner.moveToNewerSeq(message, fromSeq);
  isAnswering = () => this.inner.isAnswering();

  findMessage: MessageStore['findMessage'] = (roomId, id) => this.inner.findMessage(roomId, id);

  /** The refused ones answered as unknown per-document errors, the rest written (positions mapped back). */
  async writeBatch(events: Parameters<MessageStore['writeBatch']>[0]): Promise<InsertOutcome> {
    this.insertsStarted += 1;
    if (this.insertDelayMs > 0) await new Promise((r) => setTimeout(r, this.insertDelayMs));
    const positions = events.flatMap((e, index) => (this.refuse(e.message) ? [] : [index]));
    const outcome: InsertOutcome =
      positions.length > 0
        ? await this.inner.writeBatch(positions.map((i) => events[i]!))
        : { inserted: 0, duplicates: [], rejected: [] };
    const rejected = events.flatMap((e, index) =>
      this.refuse(e.message) ? [{ index, kind: 'unknown' as const, reason: 'document failed validation' }] : [],
    );
    return {
      inserted: outcome.inserted,
      duplicates: outcome.duplicates.map((i) => positions[i]!),
      rejected: [...outcome.rejected.map((r) => ({ ...r, index: positions[r.index]! })), ...rejected],
    };
  }
}

const iso = useIsolation('ms-persist-faults');
let service: RunningService;
let store: FaultyStore;
let publisher: Awaited<ReturnType<typeof createPublisher>>;

beforeAll(async () => {
  service = await startService(iso(), {
    wrapStore: (inner) => (store = new FaultyStore(inner)),
    env: { PERSIST_DOC_MAX_ATTEMPTS: '3', PERSIST_RETRY_MAX_MS: '50' },
  });
  publisher = await createPublisher(iso().amqpUrl);
});

afterAll(async () => {
  await publisher?.close();
  await service?.close();
});

const stored = (roomId: string) => messageModel(service.mongo).countDocuments({ roomId });

const depth = (queue: string) => queueDepth(publisher.conn, queue);

it('a document MongoDB keeps refusing for an unknown reason goes to the DLQ after its attempts; the rest of its batch is stored', async () => {
  const roomId = 'faults-rejected';
  const messages = Array.from({ length: 5 }, (_, i) => makeMessage({ roomId, seq: i + 1 }));
  const bad = messages[2]!;
  store.refuse = (m) => m.id === bad.id;
  for (const m of messages) publisher.publish(m);
  await publisher.confirmed();
  await waitFor(async () => (await depth(MESSAGE_PERSIST_DLQ)) === 1, 10_000, 'rejected document dead-lettered');
  expect(await stored(roomId)).toBe(4);
  const ch = await publisher.conn.createChannel();
  const got = await ch.get(MESSAGE_PERSIST_DLQ, { noAck: true });
  await ch.close();
  if (got === false) throw new Error('DLQ empty');
  expect((JSON.parse(got.content.toString()) as Message).id).toBe(bad.id);
  expect(String(got.properties.headers?.[DEAD_LETTER_REASON_HEADER])).toMatch(
    /MongoDB refused the document 3 times: document failed validation/,
  );
  expect(await metricValue(service.svc, 'persist_dead_lettered_total', 'reason="write_rejected"')).toBe(1);
  store.refuse = () => false;
});

it('stop() finishes the batch being written and acks it before closing', async () => {
  const roomId = 'faults-graceful';
  store.insertDelayMs = 400;
  const started = store.insertsStarted;
  for (let seq = 1; seq <= 20; seq++) publisher.publish(makeMessage({ roomId, seq }));
  await publisher.confirmed();
  await waitFor(() => store.insertsStarted > started, 5000, 'a write in flight');
  await service.svc.stop();
  // Everything written and acked: nothing returned to the queue when the connection closed.
  expect(await stored(roomId)).toBe(20);
  expect(await depth(MESSAGE_PERSIST_QUEUE)).toBe(0);
  store.insertDelayMs = 0;
  await service.svc.start();
});
