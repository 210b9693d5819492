import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dmRoomId, searchResponseSchema, type ErrorDetail, type Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoMemberRooms } from '../src/member-rooms.js';
import { MEMBERSHIP_COLLECTION, ROOM_COLLECTION } from '../src/membership-model.js';
import { createMongoMessageStore, type MessageStore } from '../src/message-store.js';
import { searchRooms } from '../src/message-search.js';
import { createMongoSearchRepository, isTimeLimitError, type SearchRepository } from '../src/search-repository.js';
import { PrivateFerretDb } from './ferretdb.js';
import { asEvents, makeMessage, startService, tokenFor, userId, type RunningService } from './helpers.js';

// Real FerretDB (or MongoDB) and Redis; memberships written in the membership store's shape.
const iso = useIsolation('ms-search');
let service: RunningService;
let store: MessageStore;
const alice = userId();
const bob = userId();
const carol = userId();
const general = 'general';
const secret = 'secret'; // public, but alice never joined
const gone = 'gone'; // alice left
const many = 'many';
const literal = 'literal';
const ties = 'ties';
const aliceBob = dmRoomId(alice, bob);
const bobCarol = dmRoomId(bob, carol);

/** Messages in one room with createdAt one second apart from `start` (seq order = time order). */
function messagesAt(roomId: string, start: number, texts: string[], fields: Partial<Message> = {}): Message[] {
  return texts.map((text, i) =>
    makeMessage({ roomId, seq: i + 1, text, createdAt: new Date(start + i * 1000).toISOString(), ...fields }),
  );
}

async function join(userIdValue: string, roomId: string, member = true): Promise<void> {
  const now = new Date();
  await service.mongo.db!.collection<{ _id: string; [field: string]: unknown }>(MEMBERSHIP_COLLECTION).insertOne({
    _id: `${roomId}|${userIdValue}`,
    roomId,
    userId: userIdValue,
    member,
    changedAt: now,
    joinedAt: now,
    lastReadSeq: 0,
  });
}

interface SearchAnswer {
  status: number;
  body: { messages: Message[]; partial: boolean; error?: ErrorDetail };
  retryAfter: string | null;
}

async function search(base: string, qs: string, token?: string): Promise<SearchAnswer> {
  const res = await fetch(`${base}/messages/search?${qs}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return {
    status: res.status,
    body: (await res.json()) as SearchAnswer['body'],
    retryAfter: res.headers.get('retry-after'),
  };
}

const q = (params: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
const texts = (answer: SearchAnswer) => answer.body.messages.map((m) => m.text);

const T0 = Date.parse('2026-01-01T00:00:00Z');

beforeAll(async () => {
  // A generous time bound: these tests are about what is found, also on a loaded machine.
  service = await startService(iso(), {
    consume: false,
    env: { READ_RATE_LIMIT_PER_SEC: '100000', SEARCH_TIME_BUDGET_MS: '30000' },
  });
  store = createMongoMessageStore(service.mongo);
  await store.ensureIndexes();
  await store.writeBatch(
    asEvents([
      // general: times T0+0..3 s; the deleted one keeps its text to prove the filter, not the blanking.
      ...messagesAt(general, T0, ['first NEEDLE here', 'nothing', 'a needle again', 'Needle at the end']),
      makeMessage({
        roomId: general,
        seq: 5,
        text: 'deleted needle',
        createdAt: new Date(T0 + 5000).toISOString(),
        deletedAt: new Date(T0 + 6000).toISOString(),
      }),
      // alice's dm with bob, interleaved in time with general.
      ...messagesAt(aliceBob, T0 + 1500, ['dm nEEdle', 'dm plain']),
      ...messagesAt(secret, T0, ['secret needle']),
      ...messagesAt(gone, T0, ['needle in a room alice left']),
      ...messagesAt(bobCarol, T0, ['needle between bob and carol']),
      ...messagesAt(
        many,
        T0 + 100_000,
        Array.from({ length: 30 }, (_, i) => `haystack ${i + 1}`),
      ),
      // Sent within one millisecond: seq decides.
      ...messagesAt(ties, T0, ['tie one', 'tie two', 'tie three']).map((m) => ({
        ...m,
        createdAt: new Date(T0).toISOString(),
      })),
      ...messagesAt(literal, T0 + 200_000, ['a.b', 'axb', '(x marks', 'star .* here', 'stars everywhere', 'ÄPFEL']),
    ]),
  );
  for (const room of [general, aliceBob, gone, many, literal, ties]) await join(alice, room, room !== gone);
  for (const room of [general, secret, aliceBob, bobCarol]) await join(bob, room);
  await join(carol, bobCarol);
  // A stray document must not open a direct room of two others (canAccessRoom).
  await join(alice, bobCarol);
});

afterAll(async () => {
  await service?.close();
});

describe('GET /messages/search', () => {
  const token = tokenFor(alice);

  it('finds text case-insensitively in the caller rooms only, newest first, never a deleted message', async () => {
    const answer = await search(service.url, q({ q: 'needle' }), token);
    expect(answer.status).toBe(200);
    expect(searchResponseSchema.parse(answer.body)).toEqual(answer.body);
    expect(texts(answer)).toEqual(['Needle at the end', 'a needle again', 'dm nEEdle', 'first NEEDLE here']);
    expect(answer.body.partial).toBe(false);
    expect(answer.body.messages[0]).not.toHaveProperty('_id');
    // bob sees his own rooms: the secret one and his dm with carol, not alice's left room.
    const bobs = await search(service.url, q({ q: 'NEEDLE' }), tokenFor(bob));
    // Equal createdAt (T0) ordered by roomId: `dm:…` < general < secret.
    expect(texts(bobs)).toEqual([
      'Needle at the end',
      'a needle again',
      'dm nEEdle',
      ...['needle between bob and carol', 'first NEEDLE here', 'secret needle'],
    ]);
  });

  it('folds case beyond ASCII', async () => {
    expect(texts(await search(service.url, q({ q: 'äpfel' }), token))).toEqual(['ÄPFEL']);
  });

  it.each([
    ['a.b', ['a.b']],
    ['(x', ['(x marks']],
    ['.*', ['star .* here']],
    ['[a', []],
    ['\\w', []],
  ])('takes %s literally', async (text, expected) => {
    const answer = await search(service.url, q({ q: text, roomId: literal }), token);
    expect(answer.status).toBe(200);
    expect(texts(answer)).toEqual(expected);
  });

  it('answers the newest `limit` matches (default 20)', async () => {
    const five = await search(service.url, q({ q: 'haystack', limit: 5 }), token);
    expect(five.body.messages.map((m) => m.seq)).toEqual([30, 29, 28, 27, 26]);
    const byDefault = await search(service.url, q({ q: 'haystack' }), token);
    expect(byDefault.body.messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 30 - i));
    // Across rooms too: the newest of all, not the first room's.
    const two = await search(service.url, q({ q: 'needle', limit: 2 }), token);
    expect(texts(two)).toEqual(['Needle at the end', 'a needle again']);
  });

  it('orders messages of one room sent in the same millisecond by seq, newest first', async () => {
    const answer = await search(service.url, q({ q: 'tie ', roomId: ties }), token);
    expect(answer.body.messages.map((m) => m.seq)).toEqual([3, 2, 1]);
  });

  it('with roomId, searches that room only', async () => {
    const answer = await search(service.url, q({ q: 'needle', roomId: aliceBob }), token);
    expect(texts(answer)).toEqual(['dm nEEdle']);
  });

  it.each([
    ['a public room never joined', secret],
    ['a room left', gone],
    ['a direct room of two others, despite a membership document', bobCarol],
    ['a room nobody is in', 'nowhere'],
  ])('with roomId of %s, answers 403 FORBIDDEN', async (_what, roomId) => {
    const answer = await search(service.url, q({ q: 'needle', roomId }), token);
    expect(answer.status).toBe(403);
    expect(answer.body.error?.code).toBe('FORBIDDEN');
  });

  it('finds nothing for a user in no room', async () => {
    const answer = await search(service.url, q({ q: 'needle' }), tokenFor(userId()));
    expect(answer.body).toEqual({ messages: [], partial: false });
  });

  it.each([
    ['', 'q'],
    ['q=a', 'q'],
    ['q=%20a%20', 'q'],
    [q({ q: 'x'.repeat(101) }), 'q'],
    ['q=ab&limit=0', 'limit'],
    ['q=ab&limit=51', 'limit'],
    ['q=ab&limit=abc', 'limit'],
    ['q=ab&limit=-1', 'limit'],
    ['q[]=ab', ''],
    ['q[$regex]=.*', ''],
    ['q=ab&q=cd', 'q'],
    ['q=ab&roomId=Bad%20Room', 'roomId'],
    ['q=ab&roomId=a&roomId=b', 'roomId'],
    ['q=ab&sort=asc', ''],
  ])('rejects the query %s with 400 INVALID', async (qs, field) => {
    const answer = await search(service.url, qs, token);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('INVALID');
    expect(answer.body.error?.field ?? '').toContain(field);
  });

  it('refuses a request without a valid token with 401', async () => {
    for (const bad of [undefined, 'not-a-jwt']) {
      const answer = await search(service.url, q({ q: 'needle' }), bad);
      expect(answer.status).toBe(401);
      expect(answer.body.error?.code).toBe('UNAUTHORIZED');
    }
  });

  it('exposes its latency by partial in /metrics', async () => {
    const metrics = await service.svc.metrics.metrics();
    expect(metrics).toMatch(/search_request_duration_seconds_count\{[^}]*partial="false"\} [1-9]/);
  });
});

describe('the read limit', () => {
  let limited: RunningService;
  beforeAll(async () => {
    // Only the read rate limits here (not the searches one user may run at once).
    limited = await startService(iso(), {
      consume: false,
      env: { READ_RATE_LIMIT_PER_SEC: '3', SEARCH_PER_USER_IN_FLIGHT: '100' },
    });
  });
  afterAll(async () => {
    await limited?.close();
  });

  // Fresh users: the first describe's reads count in the same Redis windows.
  it('shares one per-user budget with history: over it, 429 RATE_LIMITED with retryAfterSec', async () => {
    const token = tokenFor(userId());
    const headers = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${limited.url}/messages/history/${general}`, { headers })).status).toBe(200);
    const answer = await search(limited.url, q({ q: 'needle' }), token);
    expect(answer.status).toBe(429);
    expect(answer.body.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterSec: 1 });
    expect(answer.retryAfter).toBe('1');
    // Someone else is served meanwhile.
    expect((await search(limited.url, q({ q: 'needle' }), tokenFor(userId()))).status).toBe(200);
  });

  it('a burst of searches alone is limited too', async () => {
    const token = tokenFor(userId());
    const answers = await Promise.all(Array.from({ length: 10 }, () => search(limited.url, q({ q: 'needle' }), token)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(7);
  });
});

describe('the time bound', () => {
  const crowded = Array.from({ length: 8 }, (_, i) => `crowded-${i}`);

  beforeAll(async () => {
    // A few thousand messages the tiny budget below cannot get through.
    for (const room of crowded) {
      await store.writeBatch(
        asEvents(
          messagesAt(
            room,
            T0,
            Array.from({ length: 400 }, (_, i) => `crowd ${i} chatter`),
          ),
        ),
      );
      await join(alice, room);
    }
  });

  it('with a 1 ms budget answers 200 partial:true, and the service keeps serving', async () => {
    const tight = await startService(iso(), {
      consume: false,
      env: { SEARCH_TIME_BUDGET_MS: '1', READ_RATE_LIMIT_PER_SEC: '100000', SEARCH_PER_USER_IN_FLIGHT: '100' },
    });
    try {
      const token = tokenFor(alice);
      const answers = await Promise.all(Array.from({ length: 5 }, () => search(tight.url, q({ q: 'chatter' }), token)));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.partial).toBe(true);
        expect(searchResponseSchema.parse(answer.body)).toEqual(answer.body);
      }
      expect((await fetch(`${tight.url}/health`)).status).toBe(200);
    } finally {
      await tight.close();
    }
    // A larger budget gets through the same rooms.
    const full = await search(service.url, q({ q: 'chatter', limit: 50 }), tokenFor(alice));
    expect(full.body.partial).toBe(false);
    expect(full.body.messages).toHaveLength(50);
  });

  it('one user runs at most SEARCH_PER_USER_IN_FLIGHT searches at once: the rest 429 RATE_LIMITED, others unaffected', async () => {
    const capped = await startService(iso(), {
      consume: false,
      env: { SEARCH_PER_USER_IN_FLIGHT: '1', READ_RATE_LIMIT_PER_SEC: '100000', SEARCH_TIME_BUDGET_MS: '20000' },
    });
    try {
      // Each scans the crowded rooms (thousands of messages): they overlap.
      const burst = await Promise.all(
        Array.from({ length: 4 }, () => search(capped.url, q({ q: 'no such words' }), tokenFor(alice))),
      );
      const statuses = burst.map((a) => a.status).sort();
      expect(statuses[0]).toBe(200);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
      const refused = burst.find((a) => a.status === 429)!;
      expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED' });
      expect(refused.body.error?.retryAfterSec).toBeGreaterThan(0);
      // Once it ended, the same user searches again.
      expect((await search(capped.url, q({ q: 'chatter' }), tokenFor(alice))).status).toBe(200);
    } finally {
      await capped.close();
    }
  });

  it('FerretDB and MongoDB stop a room query at its maxTimeMS (code 50)', async () => {
    const real = createMongoSearchRepository(service.mongo);
    const err = await real.findInRoom(crowded[0]!, 'chatter', 50, 1).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isTimeLimitError(err)).toBe(true);
  });

  it('answers by the deadline with what the rooms done by then gave, partial:true', async () => {
    const real = createMongoSearchRepository(service.mongo);
    // One room whose query outlives the budget (as a huge room would); two small ones.
    const slow = crowded[0]!;
    const slowed: SearchRepository = {
      async findInRoom(roomId, text, limit, maxTimeMs) {
        if (roomId === slow) await new Promise((resolve) => setTimeout(resolve, 5_000));
        return real.findInRoom(roomId, text, limit, maxTimeMs);
      },
    };
    const request = {
      rooms: [slow, general, aliceBob].map((roomId) => ({ roomId })),
      q: 'needle',
      limit: 50,
      inFlight: 2,
    };
    const started = Date.now();
    const answer = await searchRooms(slowed, { ...request, deadline: started + 1_000 });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(answer).toEqual({ messages: expect.any(Array), partial: true });
    expect(texts({ status: 200, body: answer, retryAfter: null })).toEqual([
      'Needle at the end',
      'a needle again',
      'dm nEEdle',
      'first NEEDLE here',
    ]);

    const complete = await searchRooms(real, { ...request, deadline: Date.now() + 30_000 });
    expect(complete.partial).toBe(false);
  });
});

describe('with MongoDB down', () => {
  let dir: string;
  let ferret: PrivateFerretDb;
  let down: RunningService;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ms-search-ferretdb-'));
    ferret = await PrivateFerretDb.create(dir);
    await ferret.start();
    down = await startService(iso(), { consume: false, mongoUrl: ferret.url });
    await ferret.kill();
  });

  afterAll(async () => {
    await down?.close();
    await ferret?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 UNAVAILABLE, from the membership read and from a room query', async () => {
    const answer = await search(down.url, q({ q: 'needle' }), tokenFor(alice));
    expect(answer.status).toBe(503);
    expect(answer.body.error?.code).toBe('UNAVAILABLE');
    const roomQuery = createMongoSearchRepository(down.mongo).findInRoom(general, 'needle', 20, 5_000);
    await expect(roomQuery).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('rooms in order of activity', () => {
  it('orders the caller rooms by their newest message (rooms collection), unknown ones last', async () => {
    const erin = userId();
    for (const room of [general, literal, many]) await join(erin, room);
    await service.mongo.db!.collection<{ _id: string; lastAt: Date }>(ROOM_COLLECTION).insertMany([
      { _id: general, lastAt: new Date(T0 + 5_000) },
      { _id: many, lastAt: new Date(T0 + 129_000) },
    ]);
    expect(await createMongoMemberRooms(service.mongo).roomsOf(erin)).toEqual([
      { roomId: many, lastAt: T0 + 129_000 },
      { roomId: general, lastAt: T0 + 5_000 },
      { roomId: literal },
    ]);
    const answer = await search(service.url, q({ q: 'he', limit: 3 }), tokenFor(erin));
    expect(texts(answer)).toEqual(['stars everywhere', 'star .* here', 'Needle at the end']);
  });

  it('once `limit` matches are held, passes over rooms whose newest message is older, never rooms of unknown activity', async () => {
    const real = createMongoSearchRepository(service.mongo);
    const queried: string[] = [];
    const counting: SearchRepository = {
      findInRoom(roomId, text, limit, maxTimeMs) {
        queried.push(roomId);
        return real.findInRoom(roomId, text, limit, maxTimeMs);
      },
    };
    const answer = await searchRooms(counting, {
      rooms: [
        { roomId: general, lastAt: T0 + 5_000 },
        { roomId: aliceBob, lastAt: T0 + 2_500 }, // newer than the second match: searched
        { roomId: ties, lastAt: T0 }, // older than both: passed over
        { roomId: literal }, // unknown: searched
      ],
      q: 'e',
      limit: 2,
      deadline: Date.now() + 30_000,
      inFlight: 1,
    });
    expect(queried).toEqual([general, aliceBob, literal]);
    expect(answer.partial).toBe(false);
    expect(texts({ status: 200, body: answer, retryAfter: null })).toEqual(['ÄPFEL', 'stars everywhere']);
  });
});
