import { DEAD_LETTER_REASON_HEADER, MESSAGE_PERSIST_DLQ, messageRoutingKey, type Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageModel } from '../src/message-model.js';
import { createMongoMessageStore, toMessage, type MessageStore } from '../src/message-store.js';
import type { MessageDoc } from '../src/message-model.js';
import {
  asEvents,
  createPublisher,
  getHistory,
  makeMessage,
  metricValue,
  startService,
  tokenFor,
  userId,
  waitFor,
  type RunningService,
} from './helpers.js';

const iso = useIsolation('ms-room-events');
let service: RunningService;
let store: MessageStore;
let publisher: Awaited<ReturnType<typeof createPublisher>>;
const reader = tokenFor(userId());

beforeAll(async () => {
  service = await startService(iso());
  store = createMongoMessageStore(service.mongo);
  publisher = await createPublisher(iso().amqpUrl);
});

afterAll(async () => {
  await publisher?.close();
  await service?.close();
});

type ChangeType = 'edit' | 'delete' | 'reaction';
const change = (type: ChangeType, message: Message) => ({ type, message });
const edit = (m: Message, version: number, text = `edit v${version}`): Message => ({
  ...m,
  version,
  text,
  editedAt: new Date(Date.parse(m.createdAt) + version).toISOString(),
});
const stored = async (m: Message) => {
  const doc = await messageModel(service.mongo).findById(m.id).lean<MessageDoc>();
  return doc === null ? null : toMessage(doc);
};
/** Publish envelopes through the queue and wait until the consumer has handled them all. */
async function publishEvents(events: { type: string; message: Message }[]): Promise<void> {
  const before = await metricValue(service.svc, 'persist_batches_total');
  for (const e of events) {
    publisher.publish(Buffer.from(JSON.stringify({ v: 1, ...e })), messageRoutingKey(e.message.roomId));
  }
  await publisher.confirmed();
  await waitFor(async () => (await metricValue(service.svc, 'persist_batches_total')) > before, 10_000, 'a batch');
}

describe('changes in MongoDB (FerretDB)', () => {
  it('applies a change only over an older version, whatever the order it comes in', async () => {
    const m = makeMessage({ roomId: 'order', seq: 10 });
    await store.writeBatch(asEvents([m]));
    // Newest first, then older ones: each older one is taken as stored and changes nothing.
    const outcome = await store.writeBatch([13, 12, 11].map((v) => change('edit', edit(m, v))));
    expect(outcome).toEqual({ inserted: 3, duplicates: [], rejected: [] });
    expect(await stored(m)).toMatchObject({ version: 13, text: 'edit v13' });
    // Redelivered in a batch of its own: the same state stays.
    await store.writeBatch([change('edit', edit(m, 12))]);
    expect(await stored(m)).toMatchObject({ version: 13, text: 'edit v13' });
  });

  it('stores a change that arrives before its message; the message then is a harmless duplicate', async () => {
    const m = makeMessage({ roomId: 'early', seq: 20 });
    expect(await store.writeBatch([change('edit', edit(m, 21))])).toEqual({
      inserted: 1,
      duplicates: [],
      rejected: [],
    });
    expect(await store.writeBatch(asEvents([m]))).toMatchObject({ inserted: 0, duplicates: [0] });
    expect(await stored(m)).toMatchObject({ version: 21, text: 'edit v21', seq: 20 });
    // Both in one batch, change first: the same end state.
    const n = makeMessage({ roomId: 'early', seq: 22 });
    await store.writeBatch([change('edit', edit(n, 23)), { type: 'message', message: n }]);
    expect(await stored(n)).toMatchObject({ version: 23, text: 'edit v23' });
  });

  it('changes a message stored before versions (read as version = seq)', async () => {
    const m = makeMessage({ roomId: 'legacy', seq: 5 });
    const { version: _v, ...legacy } = m;
    await messageModel(service.mongo).collection.insertOne({
      ...legacy,
      _id: m.id,
      createdAt: new Date(m.createdAt),
    } as never);
    expect((await stored(m))?.version).toBe(5);
    await store.writeBatch([change('edit', edit(m, 6))]);
    expect(await stored(m)).toMatchObject({ version: 6, text: 'edit v6' });
  });

  it('a delete removes content for good: fields absent from the new state are gone', async () => {
    const m: Message = {
      ...makeMessage({ roomId: 'gone', seq: 1 }),
      reactions: [{ emoji: '👍', userIds: [userId()] }],
      replyTo: { id: 'x', seq: 0, senderName: 'B', excerpt: 'quoted' },
    };
    await store.writeBatch(asEvents([m]));
    const { reactions: _r, replyTo, ...rest } = m;
    const removed: Message = {
      ...rest,
      version: 2,
      text: '',
      deletedAt: new Date().toISOString(),
      replyTo: { ...replyTo!, excerpt: '' },
    };
    await store.writeBatch([change('delete', removed)]);
    expect(await stored(m)).toEqual(removed);
  });
});

describe('room events through the queue', () => {
  it('redelivery in reverse order leaves the newest state', async () => {
    const m = makeMessage({ roomId: 'reverse', seq: 1 });
    const react = (v: number, n: number): Message => ({
      ...m,
      version: v,
      reactions: [{ emoji: '🎉', userIds: Array.from({ length: n }, (_, i) => String(i).padStart(24, 'a')) }],
    });
    const events = [
      { type: 'message', message: m },
      change('edit', edit(m, 2)),
      change('reaction', react(3, 1)),
      change('reaction', react(4, 2)),
    ];
    await publishEvents([...events].reverse());
    await waitFor(async () => (await stored(m))?.version === 4, 10_000, 'newest state');
    const settled = async () =>
      (await metricValue(service.svc, 'persist_duplicates_total')) +
      (await metricValue(service.svc, 'persist_messages_stored_total'));
    const before = await settled();
    // Each change redelivered in a batch of its own, newest first, then all again in reverse.
    for (const e of events.slice(1).reverse()) await publishEvents([e]);
    expect((await stored(m))?.version).toBe(4);
    await publishEvents([...events].reverse());
    await waitFor(async () => (await settled()) === before + 7, 10_000, 'all seven redeliveries handled');
    expect(await stored(m)).toMatchObject({ version: 4, reactions: [{ emoji: '🎉' }] });
    expect((await stored(m))?.reactions?.[0]?.userIds).toHaveLength(2);
  });

  it('dead-letters an unknown event type or version with a reason, and reads a bare Message as a message', async () => {
    const m = makeMessage({ roomId: 'unknown-type', seq: 1 });
    const { version: _v, ...bare } = m;
    publisher.publish(Buffer.from(JSON.stringify({ v: 1, type: 'pin', message: m })), messageRoutingKey(m.roomId));
    publisher.publish(Buffer.from(JSON.stringify({ v: 2, type: 'message', message: m })), messageRoutingKey(m.roomId));
    publisher.publish(bare as Message);
    await publisher.confirmed();
    await waitFor(async () => (await stored(m)) !== null, 10_000, 'bare message stored');
    expect((await stored(m))?.version).toBe(1);
    const ch = await publisher.conn.createChannel();
    const reasons: string[] = [];
    await waitFor(
      async () => {
        const got = await ch.get(MESSAGE_PERSIST_DLQ, { noAck: true });
        if (got) reasons.push(String(got.properties.headers?.[DEAD_LETTER_REASON_HEADER]));
        return reasons.length >= 2;
      },
      10_000,
      'two dead letters',
    );
    await ch.close();
    expect(reasons).toEqual(['unknown event type "pin"', 'unknown envelope version 2']);
  });

  it('applies every change across a stop and restart of the consumer mid-stream', async () => {
    const roomId = 'events-restart';
    const messages = Array.from({ length: 300 }, (_, i) => makeMessage({ roomId, seq: i + 1 }));
    const edits = messages.map((m, i) => change('edit', edit(m, 1000 + i)));
    for (const m of messages) publisher.publish(m);
    for (const e of edits.slice(0, 150)) {
      publisher.publish(Buffer.from(JSON.stringify({ v: 1, ...e })), messageRoutingKey(roomId));
    }
    await publisher.confirmed();
    await service.svc.stop();
    for (const e of edits.slice(150)) {
      publisher.publish(Buffer.from(JSON.stringify({ v: 1, ...e })), messageRoutingKey(roomId));
    }
    await publisher.confirmed();
    await service.svc.start();
    const model = messageModel(service.mongo);
    await waitFor(
      async () => (await model.countDocuments({ roomId, version: { $gte: 1000 } })) === 300,
      20_000,
      'all 300 edits applied',
    );
    expect(await model.countDocuments({ roomId })).toBe(300);
  });
});

describe('history in current state', () => {
  it('shows the current state, and a change invalidates the cached page', async () => {
    const roomId = 'history-current';
    const m = makeMessage({ roomId, seq: 1 });
    await publishEvents([{ type: 'message', message: m }]);
    await waitFor(async () => (await stored(m)) !== null, 10_000, 'stored');
    const first = await getHistory(service.url, roomId, {}, reader);
    expect(first.body.messages.map((x) => x.text)).toEqual([m.text]);
    const hits = await metricValue(service.svc, 'history_cache_hits_total');
    await getHistory(service.url, roomId, {}, reader);
    expect(await metricValue(service.svc, 'history_cache_hits_total')).toBe(hits + 1); // now cached
    await publishEvents([change('edit', edit(m, 2, 'fixed'))]);
    await waitFor(
      async () => (await getHistory(service.url, roomId, {}, reader)).body.messages[0]?.text === 'fixed',
      10_000,
      'the edit in history',
    );
    expect((await getHistory(service.url, roomId, {}, reader)).body.messages[0]).toMatchObject({
      version: 2,
      editedAt: edit(m, 2).editedAt,
    });
  });

  it('changedAfter answers the older messages changed after a seq, by version, paged', async () => {
    const roomId = 'history-changed';
    const ms = Array.from({ length: 6 }, (_, i) => makeMessage({ roomId, seq: i + 1 }));
    await store.writeBatch(asEvents(ms));
    // Changed after 4: messages 2 (v9) and 3 (v7); message 1 changed at v4 (not after); 5 is newer than 4.
    await store.writeBatch([
      change('edit', edit(ms[0]!, 4)),
      change('edit', edit(ms[2]!, 7)),
      change('edit', edit(ms[1]!, 9)),
      change('edit', edit(ms[4]!, 8)),
    ]);
    const page = await getHistory(service.url, roomId, { changedAfter: 4, limit: 1 }, reader);
    expect(page.body.messages.map((x) => [x.seq, x.version])).toEqual([[3, 7]]);
    expect(page.body.hasMore).toBe(true);
    const next = await getHistory(service.url, roomId, { changedAfter: 4, after: 7, limit: 1 }, reader);
    expect(next.body.messages.map((x) => [x.seq, x.version])).toEqual([[2, 9]]);
    expect(next.body.hasMore).toBe(false);
    expect((await getHistory(service.url, roomId, { changedAfter: 4, before: 3 }, reader)).status).toBe(400);
  });

  it('serves one message by id, 404 for another room, and blanks quotes of a deleted message', async () => {
    const roomId = 'history-by-id';
    const target = makeMessage({ roomId, seq: 1 });
    const reply: Message = {
      ...makeMessage({ roomId, seq: 2 }),
      replyTo: { id: target.id, seq: 1, senderName: 'Tester', excerpt: target.text },
    };
    await store.writeBatch(asEvents([target, reply]));
    const one = async (room: string, id: string) => {
      const res = await fetch(`${service.url}/messages/history/${room}/${id}`, {
        headers: { authorization: `Bearer ${reader}` },
      });
      return { status: res.status, body: (await res.json()) as { message?: Message } };
    };
    expect(await one(roomId, target.id)).toEqual({ status: 200, body: { message: target } });
    expect((await one('other-room', target.id)).status).toBe(404);
    expect((await one(roomId, 'a:b')).status).toBe(400);
    const quote = async () => (await getHistory(service.url, roomId, {}, reader)).body.messages[1]?.replyTo?.excerpt;
    expect(await quote()).toBe(target.text);
    await publishEvents([change('delete', { ...target, version: 3, text: '', deletedAt: new Date().toISOString() })]);
    await waitFor(async () => (await quote()) === '', 10_000, 'quote blanked');
    expect((await one(roomId, reply.id)).body.message?.replyTo?.excerpt).toBe('');
    const deleted = (await getHistory(service.url, roomId, {}, reader)).body.messages[0]!;
    expect(deleted).toMatchObject({ id: target.id, seq: 1, text: '', senderId: target.senderId });
    expect(deleted.deletedAt).toBeDefined();
  });
});
