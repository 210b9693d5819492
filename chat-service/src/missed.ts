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
}

/**
 * Exactly the messages with seq > `sinceSeq`, oldest first, capped at JOIN_MISSED_MAX: from
 * the recent buffer (which also holds what is not persisted yet) and, for what the buffer no
 * longer holds, from message-service history.
 *
 * `missed` is always a gapless prefix of the true answer, and `hasMore: false` only when the
 * answer is proven complete: the buffer covers `sinceSeq`, or history (what is persisted)
 * reaches up to where the buffer takes over (its floor). When persistence lags further behind
 * than the buffer holds, the stored part is answered with `hasMore: true` and the client asks
 * again from its new watermark; the buffer's tail is left out, since a client that took it
 * would resync after it and skip the unproven middle. History failing gives `missed: []`.
 */
export async function collectMissed(
  sources: MissedSources,
  roomId: string,
  sinceSeq: number,
  token: string,
): Promise<Missed> {
  const buffered = await sources.recent.since(roomId, sinceSeq, JOIN_MISSED_MAX + 1);
  const floor = buffered.completeAfter;
  if (floor !== null && floor <= sinceSeq) return capped(buffered.messages);
  let stored: Stored;
  try {
    stored = await storedAfter(sources.history, roomId, sinceSeq, floor, JOIN_MISSED_MAX + 1, token);
  } catch (err) {
    sources.log.warn({ err: (err as Error).message, roomId }, 'history unavailable for resync');
    return { missed: [], hasMore: true };
  }
  const storedTop = stored.messages.at(-1)?.seq ?? sinceSeq;
  // Without a buffer (new room, or Redis lost it) history is all there is.
  const proven = floor === null ? !stored.hasMore : storedTop >= floor;
  if (!proven) return { missed: stored.messages.slice(0, JOIN_MISSED_MAX), hasMore: true };
  return capped(mergeBySeq(stored.messages, buffered.messages));
}

interface Stored {
  messages: Message[];
  /** History holds more after the last of `messages`. */
  hasMore: boolean;
}

/** Pages forward from `after` until `until` (where the buffer takes over), `want` messages, or the end. */
async function storedAfter(
  history: HistoryClient,
  roomId: string,
  after: number,
  until: number | null,
  want: number,
  token: string,
): Promise<Stored> {
  const messages: Message[] = [];
  for (let cursor = after; ;) {
    const page = await history.page(roomId, { limit: HISTORY_LIMIT_MAX, after: cursor }, token);
    messages.push(...page.messages);
    const last = page.messages.at(-1);
    if (!page.hasMore || !last || messages.length >= want || (until !== null && last.seq >= until)) {
      return { messages, hasMore: page.hasMore };
    }
    cursor = last.seq;
  }
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
