import {
  dmRoomId,
  roomsResponseSchema,
  UNREAD_MAX,
  type Message,
  type RoomEvent,
  type RoomSummary,
} from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageServiceKeys } from '../src/keys.js';
import { roomModel, type RoomDoc } from '../src/membership-model.js';
import { RoomStates } from '../src/room-states.js';
import {
  applyThroughQueue,
  createPublisher,
  getJson,
  joined,
  left,
  makeMessage,
  metricValue,
  publishRoomEvents,
  read,
  startService,
  tokenFor,
  userId,
  type RunningService,
} from './helpers.js';

// GET /messages/rooms against a scripted sequence of messages, changes and markers, all
// through the persist queue as chat-service publishes them (DESIGN.md §2, §3.3).
const iso = useIsolation('ms-room-list');
let service: RunningService;
let publisher: Awaited<ReturnType<typeof createPublisher>>;

const alice = userId();
const bob = userId();
const carol = userId();
const tokens = { alice: tokenFor(alice, 'alice'), bob: tokenFor(bob, 'bob'), carol: tokenFor(carol, 'carol') };
const T = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T + ms).toISOString();
const dm = dmRoomId(alice, bob);

/** A message of `roomId` at `seq`, sent at T + `ms`. */
const msg = (roomId: string, seq: number, senderId: string, ms: number, text: string, mentions?: string[]): Message =>
  makeMessage({ roomId, seq, senderId, createdAt: at(ms), text, ...(mentions ? { mentions } : {}) });

const publishEvents = (...events: Pick<RoomEvent, 'type' | 'message'>[]) =>
  publishRoomEvents(service, publisher, ...events);

async function roomsOf(token: string): Promise<RoomSummary[]> {
  const { status, body } = await getJson<{ rooms: RoomSummary[] }>(`${service.url}/messages/rooms`, token);
  expect(status).toBe(200);
  return roomsResponseSchema.parse(body).rooms;
}

const lounge = {
  m1: msg('lounge', 1, bob, 1_000, 'hi @alice', ['alice']),
  m2: msg('lounge', 2, carol, 2_000, 'yo'),
  m3: msg('lounge', 3, alice, 3_000, 'hello @bob', ['bob']),
  m4: msg('lounge', 4, bob, 4_000, '@alice @carol look', ['alice', 'carol']),
  m5: msg('lounge', 5, carol, 5_000, 'oops'),
  m7: msg('lounge', 7, bob, 7_000, 'last one'),
};
const deleted5: Message = { ...lounge.m5, version: 6, text: '', deletedAt: at(6_000) };
const edited7: Message = { ...lounge.m7, version: 8, text: 'last one (edited)', editedAt: at(8_000) };

beforeAll(async () => {
  service = await startService(iso());
  publisher = await createPublisher(iso().amqpUrl);
  await applyThroughQueue(
    service,
    publisher,
    joined('quiet', alice, T - 1_000),
    ...[alice, bob, carol].map((u) => joined('lounge', u, T)),
    joined('busy', alice, T),
    joined('busy', bob, T),
  );
  await publishEvents(...Object.values(lounge).map((message) => ({ type: 'message' as const, message })));
  await publishEvents({ type: 'delete', message: deleted5 }, { type: 'edit', message: edited7 });
  await applyThroughQueue(service, publisher, read('lounge', alice, 2), read('lounge', carol, 7));
  // The first message of a direct room makes both its users members (chat-service publishes both).
  await applyThroughQueue(service, publisher, joined(dm, alice, T + 100_000), joined(dm, bob, T + 100_000));
  await publishEvents({ type: 'message', message: msg(dm, 1, bob, 100_000, 'psst @alice', ['alice']) });
  // More unread messages than the list counts.
  const busy = Array.from({ length: UNREAD_MAX + 6 }, (_, i) => msg('busy', i + 1, bob, 50_000 + i, `busy ${i + 1}`));
  await publishEvents(...busy.map((message) => ({ type: 'message' as const, message })));
}, 120_000);

afterAll(async () => {
  await publisher?.close();
  await service?.close();
});

describe('unread counts', () => {
  it("count only others' messages after the marker, never deleted ones; mentions of the caller among them", async () => {
    const byRoom = new Map((await roomsOf(tokens.alice)).map((r) => [r.roomId, r]));
    // Alice read up to 2: after it, 3 is hers, 5 deleted; 4 and 7 are Bob's, 4 mentions her.
    expect(byRoom.get('lounge')).toMatchObject({ lastSeq: 8, lastReadSeq: 2, unread: 2, mentions: 1 });
    const bobs = new Map((await roomsOf(tokens.bob)).map((r) => [r.roomId, r]));
    // Bob never read: 2 (Carol) and 3 (Alice, mentions him); his own 1, 4, 7 and the deleted 5 do not count.
    expect(bobs.get('lounge')).toMatchObject({ lastReadSeq: 0, unread: 2, mentions: 1 });
    // Carol read up to 7: the edit at 8 is no new message.
    const carols = new Map((await roomsOf(tokens.carol)).map((r) => [r.roomId, r]));
    expect(carols.get('lounge')).toMatchObject({ lastReadSeq: 7, unread: 0, mentions: 0 });
  });

  it('are capped at 999', async () => {
    const busy = (await roomsOf(tokens.alice)).find((r) => r.roomId === 'busy');
    expect(busy).toMatchObject({ lastSeq: UNREAD_MAX + 6, unread: UNREAD_MAX, mentions: 0 });
    expect((await roomsOf(tokens.bob)).find((r) => r.roomId === 'busy')).toMatchObject({ unread: 0 });
  });

  it('follow a read marker as it moves (and never back)', async () => {
    await applyThroughQueue(service, publisher, read('lounge', bob, 3), read('lounge', bob, 1));
    expect((await roomsOf(tokens.bob)).find((r) => r.roomId === 'lounge')).toMatchObject({
      lastReadSeq: 3,
      unread: 0,
      mentions: 0,
    });
  });
});

describe('the list', () => {
  it('holds every room of the caller, most recent activity first; a room without messages by when it was joined', async () => {
    expect((await roomsOf(tokens.alice)).map((r) => r.roomId)).toEqual([dm, 'busy', 'lounge', 'quiet']);
    expect((await roomsOf(tokens.carol)).map((r) => r.roomId)).toEqual(['lounge']);
    expect(await roomsOf(tokenFor(userId(), 'stranger'))).toEqual([]);
  });

  it('shows the last message in its current state, and the peer of a direct room', async () => {
    const rooms = await roomsOf(tokens.alice);
    expect(rooms.find((r) => r.roomId === 'lounge')?.lastMessage).toEqual(edited7);
    expect(rooms.find((r) => r.roomId === 'quiet')).toEqual({
      roomId: 'quiet',
      lastSeq: 0,
      lastReadSeq: 0,
      unread: 0,
      mentions: 0,
    });
    expect(rooms.find((r) => r.roomId === dm)).toMatchObject({ peer: bob, unread: 1, mentions: 1, lastSeq: 1 });
    expect((await roomsOf(tokens.bob)).find((r) => r.roomId === dm)).toMatchObject({ peer: alice, unread: 0 });
    expect(rooms.find((r) => r.roomId === 'lounge')?.peer).toBeUndefined();
  });

  it('an older copy of the last message arriving late changes nothing; a newer message replaces it, its delete too', async () => {
    await publishEvents({ type: 'edit', message: { ...lounge.m7, version: 7 } });
    let lounge7 = (await roomsOf(tokens.alice)).find((r) => r.roomId === 'lounge');
    expect(lounge7?.lastMessage).toEqual(edited7);
    const m9 = msg('lounge', 9, carol, 9_000, 'newest');
    await publishEvents({ type: 'message', message: m9 });
    lounge7 = (await roomsOf(tokens.alice)).find((r) => r.roomId === 'lounge');
    expect(lounge7).toMatchObject({ lastSeq: 9, lastMessage: m9, unread: 3 });
    // Deleting it (its counts were just cached) takes it out of the count again.
    const deleted9: Message = { ...m9, version: 10, text: '', deletedAt: at(10_000) };
    await publishEvents({ type: 'delete', message: deleted9 });
    lounge7 = (await roomsOf(tokens.alice)).find((r) => r.roomId === 'lounge');
    expect(lounge7).toMatchObject({ lastSeq: 10, lastMessage: deleted9, unread: 2 });
  });

  it('drops a room the caller left', async () => {
    await applyThroughQueue(service, publisher, left('lounge', carol, T + 200_000));
    expect(await roomsOf(tokens.carol)).toEqual([]);
  });
});

describe('room states in Redis', () => {
  const stateKey = (roomId: string) => messageServiceKeys(iso().redisPrefix).roomState(roomId);
  const copyOf = async (roomId: string) => RoomStates.parse(roomId, await service.redis.get(stateKey(roomId)));
  const fromMongo = () => metricValue(service.svc, 'room_list_states_total', 'source="mongo"');
  const mongoState = (roomId: string) => roomModel(service.mongo).findById(roomId).lean<RoomDoc>();

  it('without copies in Redis (cold) the list is the same, read from MongoDB, and the copies are written for the next', async () => {
    const warm = await roomsOf(tokens.alice);
    await service.redis.del(...warm.map((r) => stateKey(r.roomId)));
    // A copy in the format before this one counts as none, and is replaced.
    await service.redis.set(stateKey('lounge'), JSON.stringify({ rev: 3 }));
    const read = await fromMongo();
    expect(await roomsOf(tokens.alice)).toEqual(warm);
    expect(await fromMongo()).toBe(read + warm.length);
    // 'quiet' has no state in MongoDB: that is remembered too, so no list asks again.
    expect(await roomsOf(tokens.alice)).toEqual(warm);
    expect(await fromMongo()).toBe(read + warm.length);
    expect(await copyOf('quiet')).toBeNull();
    expect(await copyOf('lounge')).toEqual(await mongoState('lounge'));
    expect(await service.redis.ttl(stateKey('lounge'))).toBeGreaterThan(6 * 86_400);
  });

  it('the list shows the copy Redis holds, and the consumer keeps it fresh', async () => {
    const held = (await mongoState('lounge'))!;
    const body = JSON.stringify({ lastMessage: { ...held.lastMessage, text: 'only in Redis' }, lastAt: held.lastAt });
    await service.redis.set(
      stateKey('lounge'),
      `${held.lastSeq}|${held.lastMessageSeq}|${held.lastMessageVersion}|${body}`,
    );
    expect((await roomsOf(tokens.alice)).find((r) => r.roomId === 'lounge')?.lastMessage?.text).toBe('only in Redis');
    // A new message, newer than the copy's: the consumer's write replaces it.
    const m11 = msg('lounge', 11, bob, 11_000, 'after the copy');
    await publishEvents({ type: 'message', message: m11 });
    expect((await roomsOf(tokens.alice)).find((r) => r.roomId === 'lounge')).toMatchObject({
      lastSeq: 11,
      lastMessage: m11,
    });
    expect(await copyOf('lounge')).toEqual(await mongoState('lounge'));
  });

  it('a copy is only ever merged with: the newer message, the higher last seq, whatever order the writers come in', async () => {
    const newest = (await mongoState('lounge'))!;
    const m7 = { lastMessage: lounge.m7, lastMessageSeq: 7, lastMessageVersion: 7 };
    // A list that read MongoDB before the consumer's last write fills late; so does one that found no state.
    await service.svc.roomStates.fill(['lounge', 'busy'], [{ ...newest, ...m7, lastSeq: 7 }]);
    const lounged = (await roomsOf(tokens.alice)).find((r) => r.roomId === 'lounge');
    expect(lounged).toMatchObject({ lastSeq: 11, lastMessage: newest.lastMessage });
    expect((await roomsOf(tokens.alice)).find((r) => r.roomId === 'busy')?.lastMessage?.seq).toBe(UNREAD_MAX + 6);
    // The same (seq, version) written again with another body (a fill of what the consumer just wrote) keeps the first.
    await service.svc.roomStates.fill(['lounge'], [{ ...newest, lastMessage: lounge.m1 }]);
    expect((await copyOf('lounge'))?.lastMessage).toEqual(newest.lastMessage);
    // An older message with a higher last seq (a late edit of it): each field from the newer side.
    await service.svc.roomStates.fill(['lounge'], [{ ...newest, ...m7, lastSeq: 40 }]);
    expect(await copyOf('lounge')).toEqual({ ...newest, lastSeq: 40 });
  });
});
