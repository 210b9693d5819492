import { MESSAGE_PERSIST_DLQ, type MemberQueueEvent } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { membershipModel, type MembershipDoc } from '../src/membership-model.js';
import type { MembershipStore } from '../src/membership-store.js';
import {
  applyThroughQueue,
  createPublisher,
  joined,
  left,
  metricValue,
  queueDepth,
  read,
  startService,
  userId,
  waitFor,
  type RunningService,
} from './helpers.js';

// Membership and read-marker events from the persist queue into `memberships` (DESIGN.md §3.3).
const iso = useIsolation('ms-membership-events');
/** A user whose membership writes the wrapped store refuses as MongoDB refuses a bad document. */
const refusedUser = userId();
let service: RunningService;
let publisher: Awaited<ReturnType<typeof createPublisher>>;

/** Refuses any write carrying `refusedUser` with BadValue (code 2): classified `rejected`, so it is isolated and dead-lettered. */
function refusing(members: MembershipStore): MembershipStore {
  return {
    ...members,
    applyMemberEvents: async (events) => {
      const bad = events.some((e) => (e.type === 'membership' ? e.membership.userId : e.read.userId) === refusedUser);
      if (bad) throw Object.assign(new Error('refused'), { code: 2 });
      await members.applyMemberEvents(events);
    },
  };
}

beforeAll(async () => {
  service = await startService(iso(), { wrapMembers: refusing });
  publisher = await createPublisher(iso().amqpUrl);
});

afterAll(async () => {
  await publisher?.close();
  await service?.close();
});

const doc = (roomId: string, user: string) =>
  membershipModel(service.mongo).findById(`${roomId}|${user}`).lean<MembershipDoc>();

const apply = (...events: MemberQueueEvent[]) => applyThroughQueue(service, publisher, ...events);

it('stores a membership in the shared document shape, and a read marker on it', async () => {
  const alice = userId();
  await apply(joined('general', alice, 1_000, 'Alice'));
  expect(await doc('general', alice)).toEqual({
    _id: `general|${alice}`,
    roomId: 'general',
    userId: alice,
    member: true,
    changedAt: 1_000,
    joinedAt: new Date(1_000),
    lastReadSeq: 0,
    displayName: 'Alice',
  });
  await apply(read('general', alice, 12));
  expect((await doc('general', alice))?.lastReadSeq).toBe(12);
});

it('the newest `at` wins, in one batch or across batches, and redelivery changes nothing', async () => {
  const bob = userId();
  // One publish burst (one batch, most likely): the leave at 30 is the newest.
  await apply(joined('room-a', bob, 10), left('room-a', bob, 30), joined('room-a', bob, 20));
  expect(await doc('room-a', bob)).toMatchObject({ member: false, changedAt: 30 });
  // Older ones arriving later, and the same event again.
  await apply(joined('room-a', bob, 25));
  await apply(left('room-a', bob, 30));
  expect(await doc('room-a', bob)).toMatchObject({ member: false, changedAt: 30 });
  // A rejoin starts a new membership; a sender's later events (member again) keep its start.
  await apply(joined('room-a', bob, 40));
  await apply(joined('room-a', bob, 50, 'Bob'));
  expect(await doc('room-a', bob)).toMatchObject({
    member: true,
    changedAt: 50,
    joinedAt: new Date(40),
    displayName: 'Bob',
  });
});

it('the read marker never goes back, and a marker that comes first makes no member', async () => {
  const carol = userId();
  await apply(read('room-b', carol, 10), read('room-b', carol, 5));
  await apply(read('room-b', carol, 7));
  expect(await doc('room-b', carol)).toMatchObject({ member: false, lastReadSeq: 10 });
  await apply(joined('room-b', carol, 100));
  expect(await doc('room-b', carol)).toMatchObject({ member: true, lastReadSeq: 10, joinedAt: new Date(100) });
});

it('a malformed event is dead-lettered; one MongoDB refuses is isolated from its batch and dead-lettered alone', async () => {
  const dave = userId();
  const before = await metricValue(service.svc, 'persist_dead_lettered_total', 'reason="invalid_schema"');
  publisher.publish(
    Buffer.from(JSON.stringify({ v: 1, type: 'read', read: { roomId: 'general', userId: 'nobody', seq: 1 } })),
    'messages.general',
  );
  await publisher.confirmed();
  await waitFor(
    async () =>
      (await metricValue(service.svc, 'persist_dead_lettered_total', 'reason="invalid_schema"')) === before + 1,
    10_000,
    'invalid read event dead-lettered',
  );

  const rejectedBefore = await metricValue(service.svc, 'persist_dead_lettered_total', 'reason="write_rejected"');
  const good = [joined('room-c', dave, 1), read('room-c', dave, 3), joined('room-d', dave, 2)];
  for (const e of [good[0]!, joined('room-c', refusedUser, 1), ...good.slice(1)])
    publisher.publish(Buffer.from(JSON.stringify(e)), 'messages.room-c');
  await publisher.confirmed();
  await waitFor(
    async () =>
      (await metricValue(service.svc, 'persist_dead_lettered_total', 'reason="write_rejected"')) === rejectedBefore + 1,
    10_000,
    'refused event dead-lettered',
  );
  await waitFor(async () => (await doc('room-d', dave))?.member === true, 10_000, 'the others applied');
  expect(await doc('room-c', dave)).toMatchObject({ member: true, lastReadSeq: 3 });
  expect(await doc('room-c', refusedUser)).toBeNull();
  await waitFor(async () => (await queueDepth(publisher.conn, MESSAGE_PERSIST_DLQ)) === 2, 5_000, 'both in the DLQ');
});

it('across a restart of message-service on the same database: events published meanwhile apply, older ones still lose', async () => {
  const erin = userId();
  await apply(joined('room-e', erin, 1_000), read('room-e', erin, 4));
  await service.close();
  // Published while no consumer runs: the queue holds them.
  for (const e of [left('room-e', erin, 2_000), read('room-e', erin, 9), joined('room-e', erin, 1_500)])
    publisher.publish(Buffer.from(JSON.stringify(e)), 'messages.room-e');
  await publisher.confirmed();
  service = await startService(iso(), { wrapMembers: refusing });
  await waitFor(async () => (await doc('room-e', erin))?.lastReadSeq === 9, 10_000, 'marker after restart');
  await waitFor(async () => (await doc('room-e', erin))?.changedAt === 2_000, 10_000, 'membership after restart');
  expect(await doc('room-e', erin)).toMatchObject({ member: false, changedAt: 2_000, lastReadSeq: 9 });
  await apply(read('room-e', erin, 2), joined('room-e', erin, 1_999));
  expect(await doc('room-e', erin)).toMatchObject({ member: false, changedAt: 2_000, lastReadSeq: 9 });
});
