import type { Message } from '@chat/contracts';
import type { StoredKeys } from './message-store.js';

/**
 * What a message refused as a duplicate key means, judged against the stored messages that
 * share one of its unique keys:
 * - `same`: this message is stored (a redelivery, or a resend that kept its id): ack it.
 * - `client-msg-id-conflict`: another id is stored under its (roomId, senderId, clientMsgId) —
 *   a resend that was given a new identity (legacy random ids, or a dedupe record lost under
 *   old code). The original is stored; the resend's id was seen by clients but is not kept.
 * - `seq-conflict`: another message holds its (roomId, seq) — seq reuse upstream. Storing it
 *   is impossible and dropping it would lose an acked message: dead-letter it.
 * - `missing`: nothing shares its keys (any more), or its id is held in another room (ids
 *   must not collide): write it again, dead-lettered if that keeps happening.
 */
export type DuplicateVerdict =
  | { kind: 'same'; storedSeq: number }
  | { kind: 'client-msg-id-conflict'; storedId: string }
  | { kind: 'seq-conflict'; storedId: string }
  | { kind: 'missing' };

export function judgeDuplicate(message: Message, stored: StoredKeys[]): DuplicateVerdict {
  const sameId = stored.find((s) => s.id === message.id && s.roomId === message.roomId);
  if (sameId) return { kind: 'same', storedSeq: sameId.seq };
  const sameKey = stored.find(
    (s) => s.roomId === message.roomId && s.senderId === message.senderId && s.clientMsgId === message.clientMsgId,
  );
  if (sameKey) return { kind: 'client-msg-id-conflict', storedId: sameKey.id };
  const sameSeq = stored.find((s) => s.roomId === message.roomId && s.seq === message.seq);
  if (sameSeq) return { kind: 'seq-conflict', storedId: sameSeq.id };
  return { kind: 'missing' };
}
