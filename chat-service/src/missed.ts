import { HISTORY_LIMIT_MAX, JOIN_MISSED_MAX, type Message } from '@chat/contracts';
import type { Logger } from '@chat/service-kit';
import type { HistoryClient } from './history-client.js';
import type { RecentBuffer } from './recent-buffer.js';

export interface Missed {
  missed: Message[];
  hasMore: boolean;
}

export interface MissedSources {
  recent: RecentBuffer;
  history: HistoryClient;
  log: Logger;
  /** How much earlier than `sinceSeq` a lower seq may have been pushed and still arrive after it. */
  stragglerWindowMs: number;
}

/**
 * Everything after `sinceSeq`, oldest first, capped at JOIN_MISSED_MAX: from the recent
 * buffer (which also holds what is not persisted yet) and, for what the buffer no longer
 * holds, from message-service history. If history is needed but fails, the answer is
 * `missed: []` with `hasMore: true` so the client pages it later rather than skipping a gap.
 *
 * Broadcasts do not arrive in seq order (concurrent confirms, other nodes one Redis hop
 * away), so a client that saw `sinceSeq` may still lack a lower seq broadcast after it left.
 * Those stragglers (lower seqs pushed shortly before or after `sinceSeq`) are included too;
 * clients drop what they already have by seq.
 */
export async function collectMissed(
  sources: MissedSources,
  roomId: string,
  sinceSeq: number,
  token: string,
): Promise<Missed> {
  const buffered = await sources.recent.since(roomId, sinceSeq, JOIN_MISSED_MAX + 1, sources.stragglerWindowMs);
  const newer = mergeBySeq(buffered.stragglers, buffered.messages);
  const floor = buffered.completeAfter;
  if (floor !== null && floor <= sinceSeq) return capped(newer);
  let older: Message[];
  try {
    older = await historyAfter(sources.history, roomId, sinceSeq, floor, JOIN_MISSED_MAX + 1, token);
  } catch (err) {
    sources.log.warn({ err: (err as Error).message, roomId }, 'history unavailable for resync');
    return { missed: [], hasMore: true };
  }
  return capped(mergeBySeq(older, newer));
}

/** Pages forward from `after` until `until` (where the buffer takes over), `want` messages, or the end. */
async function historyAfter(
  history: HistoryClient,
  roomId: string,
  after: number,
  until: number | null,
  want: number,
  token: string,
): Promise<Message[]> {
  const out: Message[] = [];
  let cursor = after;
  while (out.length < want) {
    const page = await history.page(roomId, { limit: HISTORY_LIMIT_MAX, after: cursor }, token);
    out.push(...page.messages);
    const last = page.messages.at(-1);
    if (!page.hasMore || !last || (until !== null && last.seq >= until)) break;
    cursor = last.seq;
  }
  return out;
}

function mergeBySeq(a: Message[], b: Message[]): Message[] {
  const bySeq = new Map<number, Message>();
  for (const m of a) bySeq.set(m.seq, m);
  for (const m of b) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
}

function capped(messages: Message[]): Missed {
  return messages.length > JOIN_MISSED_MAX
    ? { missed: messages.slice(0, JOIN_MISSED_MAX), hasMore: true }
    : { missed: messages, hasMore: false };
}
