import { roomsResponseSchema, type MemberQueueEvent, type Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { messageServiceKeys } from '../src/keys.js';
import { createMongoMembershipStore } from '../src/membership-store.js';
import { createMongoMessageStore } from '../src/message-store.js';
import {
  asEvents,
  getJson,
  joined,
  log,
  makeMessage,
  read,
  startService,
  tokenFor,
  userId,
  type RunningService,
} from './helpers.js';

// The room list costs the same number of queries for 200 rooms as for 20, and reads no room state
// from MongoDB that Redis holds a copy of (README "Room list").
const iso = useIsolation('ms-room-list-scale');
let service: RunningService;
const MESSAGES_PER_ROOM = 5;

/**
 * `rooms` rooms of `user` with another member each, every message from the other; every third
 * room read to the end, the rest to seq 2 (3 unread). Room states written as the consumer writes
 * them, and then their copies deleted: Redis as cold as after a restart. Answers the other member.
 */
async function seed(user: string, rooms: number): Promise<string> {
  const members = createMongoMembershipStore(service.mongo);
  const store = createMongoMessageStore(service.mongo);
  const other = userId();
  const events: MemberQueueEvent[] = [];
  const messages: Message[] = [];
  for (let r = 0; r < rooms; r++) {
    const roomId = `${user.slice(0, 8)}-r${r}`;
    events.push(joined(roomId, user, 1_000), joined(roomId, other, 1_000), read(roomId, user, r % 3 === 0 ? 5 : 2));
    for (let seq = 1; seq <= MESSAGES_PER_ROOM; seq++) messages.push(makeMessage({ roomId, seq, senderId: other }));
  }
  await members.applyMemberEvents(events);
  await store.writeBatch(asEvents(messages));
  await service.svc.roomStates.record(messages);
  await dropStateCopies(...Array.from({ length: rooms }, (_, r) => `${user.slice(0, 8)}-r${r}`));
  return other;
}

beforeAll(async () => {
  service = await startService(iso(), { consume: false });
  await createMongoMembershipStore(service.mongo).ensureIndexes();
}, 120_000);

afterAll(async () => {
  await service?.close();
});

const dropStateCopies = (...roomIds: string[]) =>
  service.redis.del(...roomIds.map((r) => messageServiceKeys(iso().redisPrefix).roomState(r)));

/** The MongoDB commands one room-list request sends (mongoose's per-connection debug hook sees every collection call). */
async function commandsFor(user: string) {
  const commands: string[] = [];
  /** The `$or` clauses of the unread count, when one was sent. */
  let counted: number | null = null;
  /** The rooms whose state was read from MongoDB, when some were. */
  let statesRead: number | null = null;
  service.mongo.set('debug', (collection: string, method: string, query: unknown) => {
    commands.push(`${collection}.${method}`);
    if (method === 'aggregate') counted = (query as [{ $match: { $or?: unknown[] } }])[0].$match.$or?.length ?? 1;
    if (collection === 'rooms') statesRead = (query as { _id: { $in: string[] } })._id.$in.length;
  });
  try {
    const { status, body } = await getJson(`${service.url}/messages/rooms`, tokenFor(user));
    expect(status).toBe(200);
    const rooms = roomsResponseSchema.parse(body).rooms;
    return {
      commands,
      counted,
      statesRead,
      unread: rooms.map((r) => r.unread),
      lastSeqs: rooms.map((r) => r.lastMessage?.seq),
    };
  } finally {
    service.mongo.set('debug', false);
  }
}

it('three queries for 20 rooms and for 200 rooms, some of them unread; states then from Redis, counts cached until a room or marker moves', async () => {
  const few = userId();
  const many = userId();
  const other = await seed(few, 20);
  await seed(many, 200);
  const small = await commandsFor(few);
  const large = await commandsFor(many);
  expect(small.commands).toEqual(['memberships.find', 'rooms.find', 'messages.aggregate']);
  expect(large.commands).toEqual(small.commands);
  expect(large.statesRead).toBe(200);
  expect(large.counted).toBe(133);
  expect(large.unread).toHaveLength(200);
  expect(large.unread.filter((n) => n === 3)).toHaveLength(133);
  expect(large.unread.filter((n) => n === 0)).toHaveLength(67);
  expect(large.lastSeqs).toEqual(Array(200).fill(MESSAGES_PER_ROOM));

  // Nothing moved: every state from Redis (filled by the list before), every count from the cache.
  const again = await commandsFor(many);
  expect(again.commands).toEqual(['memberships.find']);
  expect(again.unread).toEqual(large.unread);
  expect(again.lastSeqs).toEqual(large.lastSeqs);

  // Copies gone (expired, Redis lost them): only those rooms' states are read, as the same list.
  await dropStateCopies(`${many.slice(0, 8)}-r7`, `${many.slice(0, 8)}-r150`);
  const partly = await commandsFor(many);
  expect(partly.commands).toEqual(['memberships.find', 'rooms.find']);
  expect(partly.statesRead).toBe(2);
  expect(partly.unread).toEqual(large.unread);
  expect(partly.lastSeqs).toEqual(large.lastSeqs);

  // A new message in one room, a marker moved in another: those two are counted again, alone.
  const members = createMongoMembershipStore(service.mongo);
  const newer = makeMessage({ roomId: `${few.slice(0, 8)}-r1`, seq: 6, senderId: other });
  await createMongoMessageStore(service.mongo).writeBatch(asEvents([newer]));
  await service.svc.roomStates.record([newer]);
  await members.applyMemberEvents([read(`${few.slice(0, 8)}-r2`, few, 4)]);
  const moved = await commandsFor(few);
  expect(moved.commands).toEqual(['memberships.find', 'messages.aggregate']);
  expect(moved.counted).toBe(2);
  expect(moved.lastSeqs).toContain(6);
  const byRoom = (await commandsFor(few)).unread;
  expect(byRoom.filter((n) => n === 4)).toHaveLength(1);
  expect(byRoom.filter((n) => n === 1)).toHaveLength(1);

  // One room moved: counted without `$or` (FerretDB reads only that room), as exactly.
  const newest = makeMessage({ roomId: `${few.slice(0, 8)}-r1`, seq: 7, senderId: other });
  await createMongoMessageStore(service.mongo).writeBatch(asEvents([newest]));
  await service.svc.roomStates.record([newest]);
  const one = await commandsFor(few);
  expect(one.counted).toBe(1);
  expect(one.unread.filter((n) => n === 5)).toHaveLength(1);
}, 120_000);

it('by seq block: a second cold user (their counts gone, block summaries warm, nothing written) reads nothing but memberships from MongoDB', async () => {
  const user = userId();
  await seed(user, 200);
  // As at a service start: counts go by block from here on (this connection's last test).
  await createMongoMessageStore(service.mongo).backfillSeqBlocks(log);
  const first = await commandsFor(user);
  expect(first.commands.filter((c) => c === 'messages.find')).toHaveLength(133); // one block each
  expect(first.unread.filter((n) => n === 3)).toHaveLength(133);

  await service.redis.del(messageServiceKeys(iso().redisPrefix).roomCounts(user));
  const cold = await commandsFor(user);
  // Nor the rooms' floors: Redis holds copies of them beside the blocks' generations.
  expect(cold.commands).toEqual(['memberships.find']);
  expect(cold.unread).toEqual(first.unread);
}, 120_000);
