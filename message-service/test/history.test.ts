import { dmRoomId, HISTORY_LIMIT_DEFAULT } from '@chat/contracts';
import { isDuplicateKeyError } from '@chat/service-kit';
import { testKeyPair, useIsolation } from '@chat/testing';
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageModel } from '../src/message-model.js';
import { createMongoMessageStore } from '../src/message-store.js';
import {
  asEvents,
  getHistory,
  makeMessage,
  seqsOf,
  startService,
  tokenFor,
  userId,
  type RunningService,
} from './helpers.js';

const iso = useIsolation('ms-history');
let service: RunningService;
const alice = userId();
const bob = userId();
const carol = userId();
const room = 'general';
const dm = dmRoomId(alice, bob);

beforeAll(async () => {
  // History only: messages go straight into MongoDB through the store.
  service = await startService(iso(), { consume: false });
  const store = createMongoMessageStore(service.mongo);
  await store.ensureIndexes();
  await store.writeBatch(asEvents(Array.from({ length: 120 }, (_, i) => makeMessage({ roomId: room, seq: i + 1 }))));
  await store.writeBatch(
    asEvents([
      makeMessage({ roomId: dm, seq: 1, senderId: alice }),
      makeMessage({ roomId: dm, seq: 2, senderId: bob }),
    ]),
  );
});

afterAll(async () => {
  await service?.close();
});

const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('GET /messages/history/:roomId', () => {
  const token = tokenFor(alice);

  it('answers the newest page by default, ascending, with hasMore', async () => {
    const { status, body } = await getHistory(service.url, room, {}, token);
    expect(status).toBe(200);
    expect(body.messages).toHaveLength(HISTORY_LIMIT_DEFAULT);
    expect(seqsOf(body)).toEqual(span(71, 120));
    expect(body.hasMore).toBe(true);
    expect(body.messages[0]).toEqual(
      expect.objectContaining({ roomId: room, seq: 71, senderName: 'Tester', createdAt: expect.stringMatching(/Z$/) }),
    );
    expect(body.messages[0]).not.toHaveProperty('_id');
  });

  it('limit=1 gives the highest stored seq (chat-service recovers its counter with it)', async () => {
    const { body } = await getHistory(service.url, room, { limit: 1 }, token);
    expect(seqsOf(body)).toEqual([120]);
    expect(body.hasMore).toBe(true);
  });

  it('pages backwards with before until hasMore is false', async () => {
    const first = await getHistory(service.url, room, { before: 71, limit: 50 }, token);
    expect(seqsOf(first.body)).toEqual(span(21, 70));
    expect(first.body.hasMore).toBe(true);
    const last = await getHistory(service.url, room, { before: 21, limit: 50 }, token);
    expect(seqsOf(last.body)).toEqual(span(1, 20));
    expect(last.body.hasMore).toBe(false);
    const exact = await getHistory(service.url, room, { before: 21, limit: 20 }, token);
    expect(seqsOf(exact.body)).toEqual(span(1, 20));
    expect(exact.body.hasMore).toBe(false);
  });

  it('pages forwards with after: the oldest page after the cursor, hasMore = newer ones exist', async () => {
    const first = await getHistory(service.url, room, { after: 100, limit: 10 }, token);
    expect(seqsOf(first.body)).toEqual(span(101, 110));
    expect(first.body.hasMore).toBe(true);
    const last = await getHistory(service.url, room, { after: 110, limit: 10 }, token);
    expect(seqsOf(last.body)).toEqual(span(111, 120));
    expect(last.body.hasMore).toBe(false);
    const none = await getHistory(service.url, room, { after: 120 }, token);
    expect(none.body).toEqual({ messages: [], hasMore: false });
  });

  it('answers an unknown room with an empty page', async () => {
    const { status, body } = await getHistory(service.url, 'nobody-here', {}, token);
    expect(status).toBe(200);
    expect(body).toEqual({ messages: [], hasMore: false });
  });

  it('lets both members read their dm room and refuses a third user with 403', async () => {
    expect(seqsOf((await getHistory(service.url, dm, {}, tokenFor(alice))).body)).toEqual([1, 2]);
    expect(seqsOf((await getHistory(service.url, dm, {}, tokenFor(bob))).body)).toEqual([1, 2]);
    const third = await getHistory(service.url, dm, {}, tokenFor(carol));
    expect(third.status).toBe(403);
    expect(third.body.error?.code).toBe('FORBIDDEN');
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=-1', 'limit'],
    ['before=1.5', 'before'],
    ['before=1&after=2', 'before'],
    ['before[$gt]=0', ''],
    ['limit[$ne]=1', ''],
    ['after=1&after=2', 'after'],
    ['cursor=5', ''],
  ])('rejects the query %s with 400 INVALID', async (qs, field) => {
    const { status, body } = await getHistory(service.url, room, qs, token);
    expect(status).toBe(400);
    expect(body.error?.code).toBe('INVALID');
    expect(body.error?.field ?? '').toContain(field);
  });

  it.each(['Bad Room', 'dm:zz:yy', `dm:${alice}`, '_leading', 'a'.repeat(65)])(
    'rejects the room id %s with 400',
    async (roomId) => {
      const { status, body } = await getHistory(service.url, roomId, {}, token);
      expect(status).toBe(400);
      expect(body.error?.code).toBe('INVALID');
    },
  );

  it('rejects a dm room id with unsorted ids with 400', async () => {
    const [x, y] = alice < bob ? [alice, bob] : [bob, alice];
    const { status } = await getHistory(service.url, `dm:${y}:${x}`, {}, tokenFor(alice));
    expect(status).toBe(400);
  });

  it('refuses a missing, malformed, forged or expired token with 401', async () => {
    const other = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const claims = { username: 'mallory', name: 'Mallory' };
    const opts = { algorithm: 'ES256' as const, subject: alice, issuer: 'chat-platform', audience: 'chat-platform' };
    const forged = jwt.sign(claims, other.privateKey, { ...opts, expiresIn: 60 });
    const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, testKeyPair().privateKey, opts);
    for (const bad of [undefined, '', 'not-a-jwt', forged, expired]) {
      const { status, body } = await getHistory(service.url, room, {}, bad);
      expect(status).toBe(401);
      expect(body.error?.code).toBe('UNAUTHORIZED');
    }
  });

  it('serves /health, /ready, /metrics, also under /messages/', async () => {
    expect((await fetch(`${service.url}/messages/health`)).status).toBe(200);
    const ready = await fetch(`${service.url}/ready`);
    // The consumer is not started in this file: rabbitmq is reported down.
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { mongo: true, redis: true, rabbitmq: false } });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/history_cache_hits_total/);
    expect(metrics).toMatch(/history_request_duration_seconds_bucket/);
  });
});

describe('the unique indexes on FerretDB and MongoDB', () => {
  it('rejects a second (roomId, senderId, clientMsgId) and reports its position in a batch as a duplicate', async () => {
    const model = messageModel(service.mongo);
    const original = makeMessage({ roomId: 'dup-room', seq: 1 });
    const store = createMongoMessageStore(service.mongo);
    expect(await store.writeBatch(asEvents([original]))).toEqual({ inserted: 1, duplicates: [], rejected: [] });
    const again = { ...original, id: 'another-id', seq: 2 };
    const err = await model.collection
      .insertOne({ ...again, createdAt: new Date(again.createdAt) })
      .catch((e: unknown) => e);
    expect(isDuplicateKeyError(err)).toBe(true);
    const next = makeMessage({ roomId: 'dup-room', seq: 3 });
    expect(await store.writeBatch(asEvents([again, next, original]))).toEqual({
      inserted: 1,
      duplicates: [0, 2],
      rejected: [],
    });
    expect(await model.countDocuments({ roomId: 'dup-room' })).toBe(2);
  });

  it('rejects a second message with a used (roomId, seq), whatever its other fields', async () => {
    const model = messageModel(service.mongo);
    const first = makeMessage({ roomId: 'seq-room', seq: 7 });
    const reuse = makeMessage({ roomId: 'seq-room', seq: 7 }); // another id, sender and clientMsgId
    const otherRoom = makeMessage({ roomId: 'seq-room-2', seq: 7 });
    await model.collection.insertOne({ ...first, createdAt: new Date(first.createdAt) });
    const err = await model.collection
      .insertOne({ ...reuse, createdAt: new Date(reuse.createdAt) })
      .catch((e: unknown) => e);
    expect(isDuplicateKeyError(err)).toBe(true);
    const store = createMongoMessageStore(service.mongo);
    expect(await store.writeBatch(asEvents([reuse, otherRoom]))).toEqual({
      inserted: 1,
      duplicates: [0],
      rejected: [],
    });
    expect(await model.find({ roomId: 'seq-room' }, { _id: 0, id: 1 }).lean()).toEqual([{ id: first.id }]);
  });
});
