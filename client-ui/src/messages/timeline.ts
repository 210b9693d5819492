import { newerMessage, type Attachment, type Message, type ReplyTo } from '@chat/contracts';
import { eventSeq } from './apply-update.js';

/**
 * One room's message list, kept pure so every merge rule is unit-testable.
 *
 * Confirmed messages come from four places that overlap freely — history pages, live
 * broadcasts, the `missed` batch of a rejoin, and acks of our own sends — so every merge
 * deduplicates by `id` and orders by `seq`. Our own unconfirmed sends live apart in `outbox`
 * and leave it as soon as their confirmed copy arrives by any of those routes.
 */

/** An own message the server has not confirmed yet: `pending` while in flight, `failed` after. */
export interface OutgoingMessage {
  clientMsgId: string;
  roomId: string;
  text: string;
  senderId: string;
  senderName: string;
  /** When the user sent it (local clock), for display until the server's time is known. */
  createdAt: string;
  status: 'pending' | 'failed';
  error?: string;
  /** The message it answers, as quoted above it (and sent as `replyToId`). */
  replyTo?: ReplyTo;
  /** Files already uploaded that it carries (sent as `attachmentIds`). */
  attachments?: Attachment[];
}

export interface Timeline {
  /** Confirmed messages: ascending `seq`, unique by `id`. */
  messages: Message[];
  /** Own unconfirmed messages, in the order they were written. */
  outbox: OutgoingMessage[];
  /** Whether older history exists before `messages[0]`. */
  hasOlder: boolean;
  /** Highest `seq` seen. */
  lastSeq: number | undefined;
  /**
   * Every seq up to here is held or known not to exist: a rejoin asks for everything after
   * it. It stays below a hole (a live message that skipped seqs) until the hole fills or the
   * server answers a resync for it in full; so a broadcast lost across a reconnect is still
   * recovered although the server answers only what came after `sinceSeq`.
   */
  watermark: number | undefined;
}

export type TimelineAction =
  /** A history page: `older` = newest page or a `before` page (its hasMore is about older ones); `newer` = an `after` page. */
  | { type: 'historyPage'; messages: Message[]; hasMore: boolean; direction: 'older' | 'newer' }
  | { type: 'live'; message: Message }
  | { type: 'missedBatch'; messages: Message[] }
  /** The server proved the room complete up to `seq` (a full history tail, a complete join). */
  | { type: 'caughtUp'; seq: number }
  /** Own unsent messages kept from an earlier visit (reload), each once. */
  | { type: 'restore'; outbox: OutgoingMessage[] }
  | { type: 'pending'; message: Omit<OutgoingMessage, 'status' | 'error'> }
  | { type: 'ackOk'; clientMsgId: string; message: Message }
  | { type: 'ackFailed'; clientMsgId: string; error: string }
  /** Resend a failed message: back to pending with the same clientMsgId. */
  | { type: 'retry'; clientMsgId: string };

export const emptyTimeline: Timeline = {
  messages: [],
  outbox: [],
  hasOlder: false,
  lastSeq: undefined,
  watermark: undefined,
};

export function timelineReducer(state: Timeline, action: TimelineAction): Timeline {
  return raiseWatermark(reduce(state, action));
}

function reduce(state: Timeline, action: TimelineAction): Timeline {
  switch (action.type) {
    case 'historyPage': {
      const next = mergeConfirmed(state, action.messages);
      if (action.direction === 'newer') return next;
      // A page reaching further back than what we hold decides whether even older ones exist.
      const reachesOldest =
        state.messages.length === 0 ||
        action.messages.length === 0 ||
        action.messages[0]!.seq <= state.messages[0]!.seq;
      return reachesOldest ? { ...next, hasOlder: action.hasMore } : next;
    }
    case 'live': {
      const kept = notBelowHistory(state, [action.message]);
      return kept.length > 0 ? mergeConfirmed(state, kept) : passBelowHistory(state, action.message);
    }
    case 'missedBatch':
      return mergeConfirmed(state, notBelowHistory(state, action.messages));
    case 'caughtUp': {
      const lastSeq = Math.max(state.lastSeq ?? -1, action.seq);
      const watermark = Math.max(state.watermark ?? -1, action.seq);
      return lastSeq === state.lastSeq && watermark === state.watermark ? state : { ...state, lastSeq, watermark };
    }
    case 'restore': {
      const known = new Set(state.outbox.map((o) => o.clientMsgId));
      const added = action.outbox.filter((o) => !known.has(o.clientMsgId));
      return added.length === 0 ? state : { ...state, outbox: [...state.outbox, ...added] };
    }
    case 'pending':
      if (state.outbox.some((o) => o.clientMsgId === action.message.clientMsgId)) return state;
      return { ...state, outbox: [...state.outbox, { ...action.message, status: 'pending' }] };
    case 'ackOk':
      return mergeConfirmed(state, [action.message]);
    case 'ackFailed':
      return updateOutgoing(state, action.clientMsgId, (o) =>
        o.status === 'pending' ? { ...o, status: 'failed', error: action.error } : o,
      );
    case 'retry':
      return updateOutgoing(state, action.clientMsgId, (o) =>
        o.status === 'failed' ? { ...o, status: 'pending', error: undefined } : o,
      );
  }
}

/**
 * A broadcast can arrive late, and a resync from below a hole brings lower seqs. What lies below the oldest message held, while older history exists, belongs to pages not
 * yet loaded: scroll-back brings it in order, whereas merged now it would move scroll-back's
 * cursor past whatever lies between.
 */
function notBelowHistory(state: Timeline, messages: Message[]): Message[] {
  const oldest = oldestSeq(state);
  return state.hasOlder && oldest !== undefined ? messages.filter((m) => m.seq > oldest) : messages;
}

/**
 * A live change to a message older than the history loaded is not kept (scroll-back brings
 * its current state), but its seq was seen: when it is the next one, the watermark passes it
 * rather than stall there until a resync.
 */
function passBelowHistory(state: Timeline, message: Message): Timeline {
  const seq = eventSeq(message);
  if (state.watermark === undefined || seq !== state.watermark + 1) return state;
  return { ...state, watermark: seq, lastSeq: Math.max(state.lastSeq ?? -1, seq) };
}

/**
 * Add confirmed messages: dedupe by id keeping the copy with the higher `version` (an edit,
 * delete or reaction replaces the copy held), order by seq, and retire the outbox entries they confirm.
 */
function mergeConfirmed(state: Timeline, incoming: Message[]): Timeline {
  if (incoming.length === 0) return state;
  const byId = new Map(state.messages.map((m) => [m.id, m]));
  let added = false;
  let replaced = false;
  for (const m of incoming) {
    const held = byId.get(m.id);
    // Copies arrive by many routes in any order: the higher `version` is the current state.
    if (held && newerMessage(held, m) === held) continue;
    byId.set(m.id, m);
    if (held) replaced = true;
    else added = true;
  }
  const confirms = (o: OutgoingMessage) =>
    incoming.some((m) => m.clientMsgId === o.clientMsgId && m.senderId === o.senderId);
  const outbox = state.outbox.some(confirms) ? state.outbox.filter((o) => !confirms(o)) : state.outbox;
  // Changes take room seqs too: a rejoin resumes after the latest event seen, message or change.
  const lastSeq = Math.max(state.lastSeq ?? -1, ...incoming.map(eventSeq));
  if (!added && !replaced && outbox === state.outbox && lastSeq === state.lastSeq) return state;
  // Sorting is stable and the input nearly ordered (pages and live messages arrive in runs).
  const messages = added
    ? [...byId.values()].sort((a, b) => a.seq - b.seq)
    : replaced
      ? state.messages.map((m) => byId.get(m.id) ?? m)
      : state.messages;
  return { ...state, messages, outbox, lastSeq };
}

/**
 * Move the watermark up through the seqs held right above it. A room seq is taken by a
 * message (its `seq`) or by a change to one (the message's `version`): both count as held.
 * Only a message's latest change is known, so an earlier change's seq is passed only by a
 * complete answer (`caughtUp`).
 */
function raiseWatermark(state: Timeline): Timeline {
  const { watermark, lastSeq } = state;
  if (watermark === undefined || lastSeq === undefined || lastSeq <= watermark) return state;
  const above = new Set<number>();
  // version >= seq: a message with nothing above the watermark is skipped by its version.
  for (const m of state.messages) {
    if (eventSeq(m) <= watermark) continue;
    above.add(m.version);
    if (m.seq > watermark) above.add(m.seq);
  }
  let next = watermark;
  while (above.has(next + 1)) next++;
  return next === watermark ? state : { ...state, watermark: next };
}

function updateOutgoing(
  state: Timeline,
  clientMsgId: string,
  change: (o: OutgoingMessage) => OutgoingMessage,
): Timeline {
  let changed = false;
  const outbox = state.outbox.map((o) => {
    if (o.clientMsgId !== clientMsgId) return o;
    const next = change(o);
    changed ||= next !== o;
    return next;
  });
  return changed ? { ...state, outbox } : state;
}

/**
 * One row of the rendered list. The key is sender + clientMsgId (unique per the server's
 * idempotency rule), so a pending row keeps its DOM node when it becomes sent.
 */
export type TimelineItem =
  { kind: 'message'; key: string; message: Message } | { kind: 'outgoing'; key: string; message: OutgoingMessage };

/** Confirmed messages in seq order, then own unconfirmed ones: what the list shows. */
export function timelineItems(t: Timeline): TimelineItem[] {
  const key = (m: { senderId: string; clientMsgId: string }) => `${m.senderId}/${m.clientMsgId}`;
  return [
    ...t.messages.map((m): TimelineItem => ({ kind: 'message', key: key(m), message: m })),
    ...t.outbox.map((o): TimelineItem => ({ kind: 'outgoing', key: key(o), message: o })),
  ];
}

/** The cursor for the next scroll-back page. */
export function oldestSeq(t: Timeline): number | undefined {
  return t.messages[0]?.seq;
}
