import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { roomModel, type RoomDoc } from '../src/membership-model.js';
import { createMongoMembershipStore } from '../src/membership-store.js';
import { makeMessage, startService, type RunningService } from './helpers.js';

// The room list's MongoDB state of a room (recordActivity) written by two consumers at once, on
// the real database: a room's first two writes race — both find no room, both upsert — and the
// newer message must be kept whichever upsert lands first.
const iso = useIsolation('ms-room-activity-race');
let service: RunningService;

beforeAll(async () => {
  service = await startService(iso());
}, 60_000);

afterAll(async () => {
  await service?.close();
});

function stateAt(roomId: string, seq: number): RoomDoc {
  const lastMessage = makeMessage({ roomId, seq });
  return {
    _id: roomId,
    lastSeq: seq,
    lastMessage,
    lastMessageSeq: seq,
    lastMessageVersion: lastMessage.version,
    lastAt: new Date(lastMessage.createdAt),
  };
}

it('keeps the newer message when two writers create a room at once, the older one first', async () => {
  const [first, second] = [createMongoMembershipStore(service.mongo), createMongoMembershipStore(service.mongo)];
  const rooms = Array.from({ length: 20 }, (_, i) => `race-${i}`);
  // Every room's older state is sent first, so its upsert tends to land first.
  await Promise.all(
    rooms.flatMap((roomId) => [
      first.recordActivity([stateAt(roomId, 1)]),
      second.recordActivity([stateAt(roomId, 2)]),
    ]),
  );
  const docs = await roomModel(service.mongo)
    .find({ _id: { $in: rooms } })
    .lean<RoomDoc[]>();
  const held = docs.map((d) => `${d._id} message ${d.lastMessageSeq} (${d.lastMessage.seq}) last ${d.lastSeq}`).sort();
  expect(held).toEqual(rooms.map((roomId) => `${roomId} message 2 (2) last 2`).sort());
});

it('still keeps a newer stored message against an older write', async () => {
  const store = createMongoMembershipStore(service.mongo);
  await store.recordActivity([stateAt('stale', 5)]);
  await store.recordActivity([{ ...stateAt('stale', 3), lastSeq: 7 }]);
  const doc = await roomModel(service.mongo).findById('stale').lean<RoomDoc>();
  expect([doc?.lastMessageSeq, doc?.lastSeq]).toEqual([5, 7]);
});
