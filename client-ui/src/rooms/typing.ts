import { TYPING_TIMEOUT_MS, type TypingEvent } from '@chat/contracts';

/** Who is typing where, from the `typing` events of others (DESIGN.md §3.4). Pure. */
export interface Typist {
  userId: string;
  name: string;
  /** When the indicator drops unless renewed (epoch ms). */
  until: number;
}
export type TypingByRoom = Readonly<Record<string, readonly Typist[]>>;

/** Someone started (renewed) or stopped typing; a start holds for TYPING_TIMEOUT_MS. */
export function typingChanged(state: TypingByRoom, event: TypingEvent, now: number): TypingByRoom {
  const others = (state[event.roomId] ?? []).filter((t) => t.userId !== event.userId);
  const next = event.typing
    ? [...others, { userId: event.userId, name: event.displayName, until: now + TYPING_TIMEOUT_MS }]
    : others;
  return withRoom(state, event.roomId, next);
}

/** Their message arrived: they are done typing it. */
export function typistSent(state: TypingByRoom, roomId: string, userId: string): TypingByRoom {
  const typists = state[roomId];
  if (!typists?.some((t) => t.userId === userId)) return state;
  return withRoom(
    state,
    roomId,
    typists.filter((t) => t.userId !== userId),
  );
}

/** Drop every indicator whose time is up; the same object when none is. */
export function typingExpired(state: TypingByRoom, now: number): TypingByRoom {
  let next = state;
  for (const [roomId, typists] of Object.entries(state)) {
    const live = typists.filter((t) => t.until > now);
    if (live.length !== typists.length) next = withRoom(next, roomId, live);
  }
  return next;
}

/** When the next indicator drops, if any shows. */
export function nextTypingExpiry(state: TypingByRoom): number | undefined {
  const times = Object.values(state).flatMap((typists) => typists.map((t) => t.until));
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** The line under the timeline for who is typing (in the order they started). */
export function typingLine(names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

function withRoom(state: TypingByRoom, roomId: string, typists: readonly Typist[]): TypingByRoom {
  const { [roomId]: _old, ...rest } = state;
  return typists.length > 0 ? { ...rest, [roomId]: typists } : rest;
}

/** How often a typist renews `typing: true` while they keep typing (well inside the 6 s timeout). */
export const TYPING_RENEW_MS = 3_000;

/**
 * The composer's side: `typing: true` when the text starts and again every TYPING_RENEW_MS
 * while it keeps changing; `typing: false` once when it is sent, cleared or left (blur).
 */
export class TypingThrottle {
  private sentAt: number | undefined;

  constructor(
    private readonly send: (typing: boolean) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The composer's text changed. */
  text(value: string): void {
    if (value.trim() === '') {
      this.stop();
      return;
    }
    const now = this.now();
    if (this.sentAt !== undefined && now - this.sentAt < TYPING_RENEW_MS) return;
    this.sentAt = now;
    this.send(true);
  }

  /** Sent, cleared or blurred: say so once, if anything was said. */
  stop(): void {
    if (this.sentAt === undefined) return;
    this.sentAt = undefined;
    this.send(false);
  }
}
