import type { Message } from '@chat/contracts';

/**
 * Copies of one message arrive by many routes (a history page, a live broadcast, a
 * `messageUpdated`, a join's missed batch, an ack) and in any order. Its `version` — the room
 * seq of its latest change — says which copy is current: the higher one wins, so a late copy
 * never moves a message backwards (DESIGN.md §3).
 */
export function isNewer(incoming: Message, held: Message): boolean {
  return incoming.version > held.version;
}

/** The room seq of the event this copy reflects: its creation, or its latest change. */
export function eventSeq(m: Message): number {
  return Math.max(m.seq, m.version);
}
