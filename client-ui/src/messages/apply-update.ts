import type { Message } from '@chat/contracts';

/**
 * The room seq of the event this copy of a message reflects: its creation, or its latest
 * change (edits, deletes and reactions take room seqs too, DESIGN.md §3.1).
 */
export function eventSeq(m: Message): number {
  return Math.max(m.seq, m.version);
}
