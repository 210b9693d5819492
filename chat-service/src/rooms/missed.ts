import { HISTORY_LIMIT_MAX, JOIN_MISSED_MAX, newerMessage, type Message } from '@chat/contracts';
import { sleep, type Logger } from '@chat/service-kit';
import type { HistoryClient } from '../adapters/history-client.js';
import type { RecentBuffer } from '../adapters/recent-buffer.js';

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
 * Exactly the messages with seq > `sinceSeq` and the older ones changed after it (version >
 * `sinceSeq`), each once in its current state, by seq, capped at JOIN_MISSED_MAX: from the
 * recent buffers (which also hold what is not persisted yet) and, for what they no longer
 * hold, from message-service history.
 *
 * `missed` is always a gapless prefix of the true answer, and `hasMore: false` only when the
 * answer is proven complete: the buffers cover `sinceSeq`, or history (what is persisted)
 * reaches up to where the buffers take over (their floor): events are persisted in the order
 * of the one queue, so a stored version at or above the floor means every event below it is
 * stored (docs/sequences.md). When persistence lags further behind
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
  const inBuffers = [...buffered.messages, ...buffered.changed];
  if (floor !== null && floor <= sinceSeq) return capped(merged(inBuffers, sinceSeq));
  const read = async (): Promise<Stored> => {
    const [created, changed] = await Promise.all([
      storedAfter(sources.history, roomId, sinceSeq, floor, JOIN_MISSED_MAX + 1, token),
      storedChanges(sources.history, roomId, sinceSeq, JOIN_MISSED_MAX + 1, token),
    ]);
    return { messages: [...created.messages, ...changed.messages], hasMore: created.hasMore || changed.hasMore };
  };
  const storedTop = (s: Stored) => Math.max(sinceSeq, ...s.messages.map((m) => m.version));
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
  if (!proven) return { missed: merged(stored.messages, sinceSeq).slice(0, JOIN_MISSED_MAX), hasMore: true };
  return capped(merged([...stored.messages, ...inBuffers], sinceSeq));
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

/**
 * The current state of the room's changed messages with seq ≤ `sinceSeq` and version above
 * it, paged by version. Everything stored: there is no floor to stop at, since changes are
 * sparse; the created messages' pages prove how far persistence reached.
 */
async function storedChanges(
  history: HistoryClient,
  roomId: string,
  sinceSeq: number,
  want: number,
  token: string,
): Promise<Stored> {
  const messages: Message[] = [];
  for (let cursor = sinceSeq; ;) {
    const page = await history.page(roomId, { limit: HISTORY_LIMIT_MAX, changedAfter: sinceSeq, after: cursor }, token);
    messages.push(...page.messages);
    const last = page.messages.at(-1);
    if (!page.hasMore || !last || messages.length >= want) return { messages, hasMore: page.hasMore };
    cursor = last.version;
  }
}

/**
 * Each message once, in its newest state (buffer and history may hold different versions),
 * by seq; only what the answer is about: created after `sinceSeq`, or changed after it.
 */
function merged(messages: Message[], sinceSeq: number): Message[] {
  const byId = new Map<string, Message>();
  for (const m of messages) {
    const held = byId.get(m.id);
    byId.set(m.id, held ? newerMessage(held, m) : m);
  }
  return [...byId.values()].filter((m) => m.version > sinceSeq).sort((x, y) => x.seq - y.seq);
}

function capped(messages: Message[]): Missed {
  return messages.length > JOIN_MISSED_MAX
    ? { missed: messages.slice(0, JOIN_MISSED_MAX), hasMore: true }
    : { missed: messages, hasMore: false };
}
