import { UNREAD_MAX, type Message, type RoomSummary } from '@chat/contracts';

/**
 * The sidebar's rooms as the server knows them (`GET /messages/rooms`), kept live between
 * reloads of that list from the socket's events. Pure, so every rule is unit-tested.
 */
export interface RoomListEntry {
  id: string;
  /** The other member of a direct room. */
  peerId?: string | undefined;
  lastSeq: number;
  lastReadSeq: number;
  /** Messages from others after `lastReadSeq` (capped at 999 like the server's). */
  unread: number;
  /** Of those, the ones that mention the user. */
  mentions: number;
  lastMessage?: Message | undefined;
  /** Whether `lastReadSeq` is the server's (a list, a marker) rather than a placeholder (a room added here). */
  readKnown: boolean;
}

export interface RoomList {
  /** Most recent activity first. */
  rooms: readonly RoomListEntry[];
  /** Rooms joined here (id → when) that a list from the server may not hold yet: kept through a reload. */
  added: Readonly<Record<string, number>>;
  /** Rooms left here (id → when) that a list from the server may still hold: left out of it. */
  left: Readonly<Record<string, number>>;
}

/**
 * How long a join or leave made here outlasts a server list that does not show it yet:
 * membership reaches the store through the persist queue, a moment after the socket's ack.
 */
export const MEMBERSHIP_SETTLE_MS = 60_000;

export const emptyRoomList: RoomList = { rooms: [], added: {}, left: {} };

/** The other member's id in a direct room `dm:<id>:<id>`, or undefined for a public room. */
export function peerOf(roomId: string, meId: string): string | undefined {
  const parts = roomId.split(':');
  if (parts.length !== 3 || parts[0] !== 'dm') return undefined;
  return parts[1] === meId ? parts[2] : parts[1];
}

/** A room known only by id (kept from an earlier visit, or joined here): nothing read or unread yet. */
export function bareEntry(id: string, meId: string): RoomListEntry {
  return { id, peerId: peerOf(id, meId), lastSeq: 0, lastReadSeq: 0, unread: 0, mentions: 0, readKnown: false };
}

function fromSummary(s: RoomSummary, meId: string): RoomListEntry {
  return {
    id: s.roomId,
    peerId: s.peer ?? peerOf(s.roomId, meId),
    lastSeq: s.lastSeq,
    lastReadSeq: s.lastReadSeq,
    unread: s.unread,
    mentions: s.mentions,
    lastMessage: s.lastMessage,
    readKnown: true,
  };
}

const recent = (marks: Readonly<Record<string, number>>, now: number) =>
  Object.fromEntries(Object.entries(marks).filter(([, at]) => now - at < MEMBERSHIP_SETTLE_MS));

/**
 * A fresh list from the server replaces the held one, except for what this device changed
 * a moment ago: rooms joined here stay (on top) until the server lists them, rooms left
 * here stay out while the server still lists them.
 */
export function listLoaded(list: RoomList, summaries: readonly RoomSummary[], meId: string, now: number): RoomList {
  const left = recent(list.left, now);
  const listed = new Set(summaries.map((s) => s.roomId));
  const added = Object.fromEntries(Object.entries(recent(list.added, now)).filter(([id]) => !listed.has(id)));
  const stillAdded = list.rooms.filter((r) => r.id in added);
  const fromServer = summaries.filter((s) => !(s.roomId in left)).map((s) => fromSummary(s, meId));
  return { rooms: [...stillAdded, ...fromServer], added, left };
}

/** A room joined (or a direct conversation started) here: on top at once. */
export function roomAdded(list: RoomList, id: string, meId: string, now: number): RoomList {
  const { [id]: _wasLeft, ...left } = list.left;
  if (list.rooms.some((r) => r.id === id)) return { ...list, left };
  return { rooms: [bareEntry(id, meId), ...list.rooms], added: { ...list.added, [id]: now }, left };
}

/** A room left (here, or on another device). */
export function roomRemoved(list: RoomList, id: string, now: number): RoomList {
  const { [id]: _wasAdded, ...added } = list.added;
  return { rooms: list.rooms.filter((r) => r.id !== id), added, left: { ...list.left, [id]: now } };
}

export interface ReceiveContext {
  meId: string;
  meUsername: string;
  /** The user is reading this room right now (visible, focused, scrolled to the newest): nothing becomes unread. */
  reading: boolean;
}

/**
 * A live message: the room moves to the top with it as its preview; someone else's message
 * counts as unread (and as a mention when it names the user) unless the user is reading the
 * room. A message already counted (seq not above the room's last) changes nothing.
 * Answers undefined for a room not in the list (the caller reloads the list).
 */
export function messageReceived(list: RoomList, message: Message, ctx: ReceiveContext): RoomList | undefined {
  const entry = list.rooms.find((r) => r.id === message.roomId);
  if (!entry) return undefined;
  if (message.seq <= entry.lastSeq) return list;
  const counts = message.senderId !== ctx.meId && !ctx.reading;
  const mentioned = counts && (message.mentions ?? []).includes(ctx.meUsername);
  const next: RoomListEntry = {
    ...entry,
    lastSeq: Math.max(entry.lastSeq, message.seq),
    lastMessage: message,
    unread: counts ? Math.min(entry.unread + 1, UNREAD_MAX) : entry.unread,
    mentions: mentioned ? Math.min(entry.mentions + 1, UNREAD_MAX) : entry.mentions,
  };
  return { ...list, rooms: [next, ...list.rooms.filter((r) => r !== entry)] };
}

/** An edit, delete or reaction: the preview follows when it is the room's last message. */
export function messageUpdated(list: RoomList, message: Message): RoomList {
  const entry = list.rooms.find((r) => r.id === message.roomId);
  const last = entry?.lastMessage;
  if (!entry || last?.id !== message.id || message.version <= last.version) return list;
  return { ...list, rooms: list.rooms.map((r) => (r === entry ? { ...r, lastMessage: message } : r)) };
}

/**
 * The user's read marker moved to `seq` (here or on another device). Past the last message,
 * nothing is unread; short of it, at most what came after it still is. Never moves back.
 */
export function markerMoved(list: RoomList, roomId: string, seq: number): RoomList {
  const entry = list.rooms.find((r) => r.id === roomId);
  if (!entry || (entry.readKnown && seq <= entry.lastReadSeq)) return list;
  const newest = entry.lastMessage?.seq ?? entry.lastSeq;
  const left = seq >= newest ? 0 : Math.max(0, entry.lastSeq - seq);
  const next: RoomListEntry = {
    ...entry,
    lastReadSeq: Math.max(entry.lastReadSeq, seq),
    lastSeq: Math.max(entry.lastSeq, seq),
    unread: Math.min(entry.unread, left),
    mentions: Math.min(entry.mentions, left),
    readKnown: true,
  };
  return { ...list, rooms: list.rooms.map((r) => (r === entry ? next : r)) };
}

export function totalUnread(list: RoomList): number {
  return list.rooms.reduce((n, r) => n + r.unread, 0);
}

/** What a badge shows: the count, or "99+". */
export function badgeCount(n: number): string {
  return n > 99 ? '99+' : String(n);
}

/** The browser tab's title: "(3) Chat" while anything is unread. */
export function documentTitle(unread: number): string {
  return unread > 0 ? `(${badgeCount(unread)}) Chat` : 'Chat';
}
