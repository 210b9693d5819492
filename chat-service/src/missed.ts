import { HISTORY_LIMIT_MAX, JOIN_MISSED_MAX, type Message } from '@chat/contracts';
import { sleep, type Logger } from '@chat/service-kit';
import type { HistoryClient } from './history-client.js';
import type { RecentBuffer } from './recent-buffer.js';

export interface Missed {
  missed: Message[];
  hasMore: boolean;
}

/** First and longest pause between history re-reads while waiting for persistence. */
const PERSISTENCE_POLL_MS = { first: 50, max: 500 };

export interface MissedSources {
  recent: RecentBuffer;
  history: HistoryClient;
  log: Logger;
  /**
   * How long to re-read history while persistence has not reached the buffer's floor before
   * answering `hasMore`: its usual lag is tens of milliseconds (a new room's first messages,
   * a buffer recreated after Redis lost it), so a joiner usually gets a complete answer.
   */
  persistenceWaitMs: number;
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
 * Before answering so, it waits up to `persistenceWaitMs` for persistence to catch up.
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
  const read = () => storedAfter(sources.history, roomId, sinceSeq, floor, JOIN_MISSED_MAX + 1, token);
  const storedTop = (s: Stored) => s.messages.at(-1)?.seq ?? sinceSeq;
  let stored: Stored;
  try {
    stored = await read();
    // While history ends below the floor, persistence lags behind what the buffer no longer holds.
    const lagging = () => floor !== null && !stored.hasMore && storedTop(stored) < floor;
    const giveUpAt = Date.now() + sources.persistenceWaitMs;
    for (let pause = PERSISTENCE_POLL_MS.first; lagging() && Date.now() + pause <= giveUpAt;) {
      await sleep(pause);
      stored = await read();
      pause = Math.min(pause * 2, PERSISTENCE_POLL_MS.max);
    }
  } catch (err) {
    sources.log.warn({ err: (err as Error).message, roomId }, 'history unavailable for resync');
    return { missed: [], hasMore: true };
  }
  // Without a buffer (expired, or Redis lost it) history is all there is.
  const proven = floor === null ? !stored.hasMore : storedTop(stored) >= floor;
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
