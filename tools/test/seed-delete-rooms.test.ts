import { useIsolation } from '@chat/testing';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MEMBERSHIP_COLLECTION, ROOM_COLLECTION } from '../../message-service/src/membership-model.js';
import { SEQ_FLOOR_COLLECTION } from '../../message-service/src/seq-blocks.js';
import { deleteRooms } from '../lib/bench/seed.js';

// What a bench run added to the seeded dataset goes, the seeded rooms stay (on FerretDB).
const iso = useIsolation('tools-seed-delete');
let client: MongoClient;

beforeAll(async () => {
  client = await MongoClient.connect(iso().mongoUrl);
});

afterAll(async () => {
  await client?.close();
});

it("deletes a run room's messages, seq floor, state and memberships, and nothing of another room", async () => {
  const db = client.db(iso().mongoDbName);
  for (const roomId of ['lived-1', 'seed-1']) {
    await db.collection('messages').insertOne({ roomId, seq: 1 });
    await db.collection(SEQ_FLOOR_COLLECTION).insertOne({ _id: roomId } as never);
    await db.collection(ROOM_COLLECTION).insertOne({ _id: roomId, lastSeq: 1 } as never);
    await db.collection(MEMBERSHIP_COLLECTION).insertOne({ _id: `${roomId}|u1`, roomId, userId: 'u1' } as never);
  }
  expect(await deleteRooms({ mongoUrl: iso().mongoUrl, dbName: iso().mongoDbName, roomIds: ['lived-1'] })).toBe(1);
  for (const name of ['messages', SEQ_FLOOR_COLLECTION, ROOM_COLLECTION, MEMBERSHIP_COLLECTION]) {
    const left = await db.collection(name).find({}).toArray();
    expect(
      left.map((d) => d.roomId ?? d._id),
      name,
    ).toEqual(['seed-1']);
  }
});
