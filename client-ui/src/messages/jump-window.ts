import { HISTORY_LIMIT_MAX } from '@chat/contracts';

/**
 * How to bring a message at `targetSeq` into a room's loaded history, which runs contiguously
 * from its newest message back to `oldestHeld`: already `held`; or page back with `before`
 * cursors from the oldest held message, `limit` messages a page, at most `pages` pages — enough
 * to cover every seq between (seqs have gaps, so the count of messages is at most the seq
 * distance) plus some context above the target; or `unreachable` (gone, or beyond the bound).
 */
export type JumpPlan = { kind: 'held' } | { kind: 'pageBack'; limit: number; pages: number } | { kind: 'unreachable' };

/** Messages shown above the one jumped to, so it does not sit at the very top. */
export const JUMP_CONTEXT = 10;
/** At most this many pages (of 100) are read to reach a search result. */
export const JUMP_MAX_PAGES = 50;

export function jumpPlan(targetSeq: number, oldestHeld: number | undefined, hasOlder: boolean): JumpPlan {
  if (oldestHeld !== undefined && oldestHeld <= targetSeq) return { kind: 'held' };
  if (oldestHeld === undefined || !hasOlder) return { kind: 'unreachable' };
  const distance = oldestHeld - targetSeq + JUMP_CONTEXT;
  const limit = Math.min(HISTORY_LIMIT_MAX, distance);
  const pages = Math.ceil(distance / limit);
  return pages > JUMP_MAX_PAGES ? { kind: 'unreachable' } : { kind: 'pageBack', limit, pages };
}
