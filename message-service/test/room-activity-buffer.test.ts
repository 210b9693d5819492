import { messageRoutingKey, type Message, type RoomSummary } from '@chat/contracts';
import { createLogger } from '@chat/service-kit';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomModel, type RoomDoc } from '../src/membership-model.js';
import { RoomActivityBuffer, ROOMS_PER_STEP } from '../src/room-activity-buffer.js';
import {
  applyThroughQueue,
  createPublisher,
  getJson,
  joined,
  makeMessage,
  startService,
  tokenFor,
  userId,
  waitFor,
  type RunningService,
} from './helpers.js';

const log = createLogger('room-activity-test', 'silent');

describe('RoomActivityBuffer', () => {
  it('writes each changed room once per round, from its newest and its highest-version message', async () => {
    const writes: Message[][] = [];
    const buffer = new RoomActivityBuffer(async (m) => void writes.push(m), 60_000, log);
    const a1 = makeMessage({ roomId: 'a', seq: 1 });
    const a3 = makeMessage({ roomId: 'a', seq: 3 });
    const a1edited = { ...a1, version: 5 };
    buffer.add([a1, a3]);
    buffer.add([a1edited, makeMessage({ roomId: 'b', seq: 2 })]);
    await buffer.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.map((m) => `${m.roomId}:${m.seq}:${m.version}`)).toEqual(['a:3:3', 'a:1:5', 'b:2:2', 'b:2:2']);
    await buffer.flush();
    expect(writes).toHaveLength(1); // nothing held, nothing written
  });

  it('keeps what a failed write held for the next round, merged with newer states; stop writes what is held', async () => {
    let fail = true;
    const writes: Message[][] = [];
    const buffer = new RoomActivityBuffer(
      async (m) => {
        if (fail) throw new Error('MongoDB away');
        writes.push(m);
      },
      60_000,
      log,
    );
    buffer.add([makeMessage({ roomId: 'a', seq: 1 })]);
    await buffer.flush();
    fail = false;
    buffer.add([makeMessage({ roomId: 'a', seq: 2 })]);
    await buffer.stop();
    expect(writes.map((w) => w.map((m) => m.seq))).toEqual([[2, 2]]);
  });
});

describe('RoomActivityBuffer pacing', () => {
  const rooms = (n: number) => Array.from({ length: n }, (_, i) => makeMessage({ roomId: `r${i}`, seq: i + 1 }));

  it('writes a round ROOMS_PER_STEP rooms at a time, the steps spread over half the interval', async () => {
    const writes: { atMs: number; rooms: string[] }[] = [];
    const intervalMs = 600;
    const buffer = new RoomActivityBuffer(
      async (m) => void writes.push({ atMs: performance.now(), rooms: [...new Set(m.map((x) => x.roomId))] }),
      intervalMs,
      log,
    );
    // Once, and again after a stop() and start(): a restarted buffer paces as well.
    for (const round of [0, 1]) {
      if (round === 1) {
        buffer.start();
        await buffer.stop();
        buffer.start();
        writes.length = 0;
      }
      buffer.add(rooms(3 * ROOMS_PER_STEP));
      await buffer.flush();
      expect(writes.map((w) => w.rooms.length)).toEqual([ROOMS_PER_STEP, ROOMS_PER_STEP, ROOMS_PER_STEP]);
      expect(new Set(writes.flatMap((w) => w.rooms)).size).toBe(3 * ROOMS_PER_STEP);
      // Two pauses of intervalMs / 2 / 3 each (timers never fire early; allow the 1 ms rounding).
      expect(writes[2]!.atMs - writes[0]!.atMs).toBeGreaterThanOrEqual(2 * (intervalMs / 6) - 2);
    }
    await buffer.stop();
  });

  it('stop(budget) returns within it, gives up the steps not begun by then and keeps their rooms for a restart', async () => {
    const written: string[] = [];
    const buffer = new RoomActivityBuffer(
      async (m) => {
        await new Promise((r) => setTimeout(r, 400));
        written.push(...new Set(m.map((x) => x.roomId)));
      },
      60_000,
      log,
    );
    const all = rooms(3 * ROOMS_PER_STEP).map((m) => m.roomId);
    buffer.add(rooms(3 * ROOMS_PER_STEP));
    await buffer.stop(100);
    // Back while the first step's write still waits (as on an unreachable database).
    expect(written).toEqual([]);
    await buffer.flush();
    expect(written).toEqual(all.slice(0, ROOMS_PER_STEP));
    buffer.start();
    await buffer.stop();
    expect(written).toEqual(all);
  });

  it('with rooms per step unbounded (the Redis copies) writes a round at once', async () => {
    const writes: number[] = [];
    const buffer = new RoomActivityBuffer(
      async (m) => void writes.push(new Set(m.map((x) => x.roomId)).size),
      60_000,
      log,
      Infinity,
    );
    buffer.add(rooms(3 * ROOMS_PER_STEP));
    await buffer.flush();
    expect(writes).toEqual([3 * ROOMS_PER_STEP]);
  });

  it('stop() writes the rest of a round without its pauses; a failed step ends the round and keeps the rooms not written', async () => {
    const written: string[] = [];
    let calls = 0;
    const buffer = new RoomActivityBuffer(
      async (m) => {
        if (++calls === 2) throw new Error('MongoDB away');
        written.push(...new Set(m.map((x) => x.roomId)));
      },
      60_000, // a pause of 10 s between steps
      log,
    );
    buffer.add(rooms(3 * ROOMS_PER_STEP));
    const round = buffer.flush();
    await new Promise((r) => setTimeout(r, 50));
    const startedMs = performance.now();
    await buffer.stop();
    await round;
    expect(performance.now() - startedMs).toBeLessThan(5_000);
    // Step 1 in the round; step 2 failed, so steps 2 and 3 are written by stop()'s own round,
    // each room once.
    const all = rooms(3 * ROOMS_PER_STEP).map((m) => m.roomId);
    expect(written).toEqual(all);
  });
});

describe.each([
  { copies: 'every 200 ms', ROOM_STATE_FLUSH_MS: '200' },
  { copies: 'with each batch', ROOM_STATE_FLUSH_MS: '0' },
])('the room list with room states copied $copies, written to MongoDB every minute', ({ ROOM_STATE_FLUSH_MS }) => {
  const iso = useIsolation('ms-room-activity');
  let service: RunningService;
  let publisher: Awaited<ReturnType<typeof createPublisher>>;
  const alice = userId();
  const bob = userId();
  beforeAll(async () => {
    service = await startService(iso(), { env: { ROOM_STATE_FLUSH_MS, ROOM_STATE_PERSIST_MS: '60000' } });
    publisher = await createPublisher(iso().amqpUrl);
  });
  afterAll(async () => {
    await publisher.close();
    await service.close();
  });

  it('shows a room’s last message within the interval, and the unread count of it', async () => {
    const roomId = 'coalesced';
    await applyThroughQueue(service, publisher, joined(roomId, alice, Date.now()));
    const messages = [1, 2, 3].map((seq) => makeMessage({ roomId, seq, senderId: bob, text: `m${seq}` }));
    for (const m of messages)
      publisher.publish(Buffer.from(JSON.stringify({ v: 1, type: 'message', message: m })), messageRoutingKey(roomId));
    await publisher.confirmed();
    await waitFor(
      async () => {
        const { body } = await getJson<{ rooms: RoomSummary[] }>(`${service.url}/messages/rooms`, tokenFor(alice));
        const room = body.rooms.find((r) => r.roomId === roomId);
        return room?.lastMessage?.text === 'm3' && room.unread === 3;
      },
      5_000,
      'room state copied by the coalescing round',
    );
    // From the Redis copy: MongoDB's is written a minute later, or by the drain at a stop.
    const stored = () => roomModel(service.mongo).findById(roomId).lean<RoomDoc>();
    expect(await stored()).toBeNull();
    await service.svc.stop();
    expect(await stored()).toMatchObject({ lastSeq: 3, lastMessageSeq: 3, lastMessage: { text: 'm3' } });
  });
});

describe('the room list while the room state trails (a long ROOM_STATE_FLUSH_MS)', () => {
  const iso = useIsolation('ms-room-activity-trail');
  let service: RunningService;
  let publisher: Awaited<ReturnType<typeof createPublisher>>;
  const alice = userId();
  const bob = userId();
  beforeAll(async () => {
    service = await startService(iso(), { env: { ROOM_STATE_FLUSH_MS: '60000', ROOM_STATE_PERSIST_MS: '60000' } });
    publisher = await createPublisher(iso().amqpUrl);
  });
  afterAll(async () => {
    await publisher.close();
    await service.close();
  });

  it('counts unread messages and gives the last seq as soon as they are stored, before the state is written', async () => {
    const roomId = 'trailing';
    await applyThroughQueue(service, publisher, joined(roomId, alice, Date.now()));
    const list = async () => {
      const { body } = await getJson<{ rooms: RoomSummary[] }>(`${service.url}/messages/rooms`, tokenFor(alice));
      return body.rooms.find((r) => r.roomId === roomId);
    };
    for (const batch of [[1, 2], [3]]) {
      for (const seq of batch) {
        const m = makeMessage({ roomId, seq, senderId: bob, text: `m${seq}` });
        publisher.publish(
          Buffer.from(JSON.stringify({ v: 1, type: 'message', message: m })),
          messageRoutingKey(roomId),
        );
      }
      await publisher.confirmed();
      const last = batch.at(-1)!;
      // Each list after a write counts it: the cached count of the first list is not reused.
      await waitFor(async () => (await list())?.unread === last, 5_000, `unread ${last} counted`);
      const room = await list();
      expect(room).toMatchObject({ lastSeq: last, unread: last, lastReadSeq: 0 });
      // The state (last message) is written by the coalescing round, a minute away.
      expect(room?.lastMessage).toBeUndefined();
    }
  });
});
