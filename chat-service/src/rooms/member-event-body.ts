import type { MembershipQueueEvent, ReadQueueEvent } from '@chat/contracts';

/** The queue body of a membership change (contracts `membershipQueueEventSchema`). */
export function membershipEventBody(membership: MembershipQueueEvent['membership']): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, type: 'membership', membership } satisfies MembershipQueueEvent));
}

/** The queue body of a read marker that moved (contracts `readQueueEventSchema`). */
export function readEventBody(read: ReadQueueEvent['read']): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, type: 'read', read } satisfies ReadQueueEvent));
}
