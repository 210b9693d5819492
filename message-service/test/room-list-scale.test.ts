import { roomsResponseSchema, type MemberQueueEvent, type Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMongoMembershipStore } from '../src/membership-store.js';
import { createMongoMessageStore } from '../src/message-store.js';
import {
  asEvents,
  getJson,
  joined,
  makeMessage,
  read,
  startService,
  tokenFor,
  userId,
  type RunningService,
} from './helpers.js';

// The room list costs the same number of queries for 200 rooms as for 20 (README "Room list").
const iso = useIsolation('ms-room-list-scale');
let service: RunningService;
const MESSAGES_PER_ROOM = 5;

/**
 * `rooms` rooms of `user` with another member each, every message from the other; every third
 * room read to the end, the rest to seq 2 (3 unread). Answers the other member.
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
  await members.recordActivity(messages);
  return other;
}

beforeAll(async () => {
  service = await startService(iso(), { consume: false });
  await createMongoMembershipStore(service.mongo).ensureIndexes();
}, 120_000);

afterAll(async () => {
  await service?.close();
});

/** The MongoDB commands one room-list request sends (mongoose's per-connection debug hook sees every collection call). */
async function commandsFor(user: string) {
  const commands: string[] = [];
  /** The `$or` clauses of the unread count, when one was sent. */
  let counted: number | null = null;
  service.mongo.set('debug', (collection: string, method: string, pipeline: unknown) => {
    commands.push(`${collection}.${method}`);
    if (method === 'aggregate') counted = (pipeline as [{ $match: { $or?: unknown[] } }])[0].$match.$or?.length ?? 1;
  });
  try {
    const { status, body } = await getJson(`${service.url}/messages/rooms`, tokenFor(user));
    expect(status).toBe(200);
    return { commands, counted, unread: roomsResponseSchema.parse(body).rooms.map((r) => r.unread) };
  } finally {
    service.mongo.set('debug', false);
  }
}

it('three queries for 20 rooms and for 200 rooms, some of them unread; counts cached until a room or marker moves', async () => {
  const few = userId();
  const many = userId();
  const other = await seed(few, 20);
  await seed(many, 200);
  const small = await commandsFor(few);
  const large = await commandsFor(many);
  expect(small.commands).toEqual(['memberships.find', 'rooms.find', 'messages.aggregate']);
  expect(large.commands).toEqual(small.commands);
  expect(large.counted).toBe(133);
  expect(large.unread).toHaveLength(200);
  expect(large.unread.filter((n) => n === 3)).toHaveLength(133);
  expect(large.unread.filter((n) => n === 0)).toHaveLength(67);

  // Nothing moved: every count from the cache.
  const again = await commandsFor(many);
  expect(again.commands).toEqual(['memberships.find', 'rooms.find']);
  expect(again.unread).toEqual(large.unread);

  // A new message in one room, a marker moved in another: those two are counted again, alone.
  const members = createMongoMembershipStore(service.mongo);
  const newer = makeMessage({ roomId: `${few.slice(0, 8)}-r1`, seq: 6, senderId: other });
  await createMongoMessageStore(service.mongo).writeBatch(asEvents([newer]));
  await members.recordActivity([newer]);
  await members.applyMemberEvents([read(`${few.slice(0, 8)}-r2`, few, 4)]);
  const moved = await commandsFor(few);
  expect(moved.counted).toBe(2);
  const byRoom = (await commandsFor(few)).unread;
  expect(byRoom.filter((n) => n === 4)).toHaveLength(1);
  expect(byRoom.filter((n) => n === 1)).toHaveLength(1);

  // One room moved: counted without `$or` (FerretDB reads only that room), as exactly.
  const newest = makeMessage({ roomId: `${few.slice(0, 8)}-r1`, seq: 7, senderId: other });
  await createMongoMessageStore(service.mongo).writeBatch(asEvents([newest]));
  await members.recordActivity([newest]);
  const one = await commandsFor(few);
  expect(one.counted).toBe(1);
  expect(one.unread.filter((n) => n === 5)).toHaveLength(1);
}, 120_000);
