import { z } from 'zod';
import { roomIdSchema, seqSchema, userIdSchema, USERNAME_PATTERN } from './ids.js';
import { messageSchema } from './message.js';

/** `unread` in the room list is capped here (DESIGN.md §2 `/messages/rooms`). */
export const UNREAD_MAX = 999;
/** `GET /messages/rooms/:roomId/members` answers at most this many members. */
export const MEMBERS_MAX = 1000;
/** A client drops a typing indicator this long after the last `typing: true` (DESIGN.md §3). */
export const TYPING_TIMEOUT_MS = 6000;
/** At most one `typing` broadcast per user and room in this window (DESIGN.md §3.4). */
export const TYPING_INTERVAL_MS = 1000;
/** Distinct users one message may mention (more `@names` are left as plain text). */
export const MENTIONS_MAX = 20;

// ---- socket events (DESIGN.md §3, §3.3, §3.4) ----

/** `markRead {roomId, seq}`: the caller has read the room up to `seq`; the marker only moves forward. */
export const markReadPayloadSchema = z.strictObject({ roomId: roomIdSchema, seq: seqSchema });
export type MarkReadPayload = z.infer<typeof markReadPayloadSchema>;

/** `typing {roomId, typing}`: volatile, relayed to the room but the typist, never stored. */
export const typingPayloadSchema = z.strictObject({ roomId: roomIdSchema, typing: z.boolean() });
export type TypingPayload = z.infer<typeof typingPayloadSchema>;

export interface TypingEvent {
  roomId: string;
  userId: string;
  displayName: string;
  typing: boolean;
}

/** A member's first socket (any node) joined the room, or its last one went (or its node died). */
export interface PresenceEvent {
  roomId: string;
  userId: string;
  displayName: string;
  online: boolean;
}

/** To the user's other sockets, and in a direct room to the other member (a read receipt). */
export interface ReadMarkerEvent {
  roomId: string;
  userId: string;
  seq: number;
}

/**
 * To every socket of the user when their membership changes elsewhere: a room joined on another
 * device, a direct room someone else opened with them, or a room left on another device.
 * (Not in DESIGN.md §3, which is silent on it: it lets every device keep the same room list.)
 */
export interface MembershipEvent {
  roomId: string;
  member: boolean;
}

// ---- queue envelopes (DESIGN.md §3.3, §4 item 4): membership and read markers ride the persist queue ----

export const MEMBER_EVENT_TYPES = ['membership', 'read'] as const;
export type MemberEventType = (typeof MEMBER_EVENT_TYPES)[number];

/**
 * `{v:1, type:'membership', membership}`: `userId` became (`member: true`) or stopped being a
 * member of `roomId` at `at` (unix ms, from the publishing node); the store keeps the newest `at`.
 */
export const membershipQueueEventSchema = z.object({
  v: z.literal(1),
  type: z.literal('membership'),
  membership: z.object({
    roomId: roomIdSchema,
    userId: userIdSchema,
    member: z.boolean(),
    at: z.number().int().nonnegative(),
    /** The member's display name when the publisher knows it (the joiner's own token). */
    displayName: z.string().min(1).max(64).optional(),
  }),
});
export type MembershipQueueEvent = z.infer<typeof membershipQueueEventSchema>;

/** `{v:1, type:'read', read}`: the store keeps the highest `seq` (`$max`). */
export const readQueueEventSchema = z.object({
  v: z.literal(1),
  type: z.literal('read'),
  read: z.object({ roomId: roomIdSchema, userId: userIdSchema, seq: seqSchema }),
});
export type ReadQueueEvent = z.infer<typeof readQueueEventSchema>;

// ---- HTTP (DESIGN.md §2) ----

/** `GET /messages/rooms` takes no query; anything there is refused (INVALID) rather than ignored. */
export const roomsQuerySchema = z.strictObject({});
/** `GET /messages/rooms/:roomId/members`. */
export const membersParamsSchema = z.strictObject({ roomId: roomIdSchema });

export const roomSummarySchema = z.object({
  roomId: roomIdSchema,
  lastSeq: seqSchema,
  lastReadSeq: seqSchema,
  /** Messages from others after `lastReadSeq`, capped at 999. */
  unread: z.number().int().min(0).max(UNREAD_MAX),
  /** Of those, the ones that mention the caller (`@username`), capped at 999. */
  mentions: z.number().int().min(0).max(UNREAD_MAX),
  lastMessage: messageSchema.optional(),
  /** The other member of a direct room. */
  peer: userIdSchema.optional(),
});
export type RoomSummary = z.infer<typeof roomSummarySchema>;

/** Every room of the caller, most recent activity first. */
export const roomsResponseSchema = z.object({ rooms: z.array(roomSummarySchema) });
export type RoomsResponse = z.infer<typeof roomsResponseSchema>;

export const memberSchema = z.object({
  userId: userIdSchema,
  displayName: z.string(),
  online: z.boolean(),
  lastReadSeq: seqSchema,
});
export type Member = z.infer<typeof memberSchema>;
export const membersResponseSchema = z.object({ members: z.array(memberSchema).max(MEMBERS_MAX) });
export type MembersResponse = z.infer<typeof membersResponseSchema>;

// ---- mentions ----

const MENTION = /(^|[^A-Za-z0-9_.@-])@([a-z0-9_.-]{3,32})(?![a-z0-9_-])/g;

/** Where `text` mentions someone: `[start, end)` covers `@username` (without a sentence's trailing dot). */
export interface MentionRange {
  start: number;
  end: number;
  username: string;
}

/**
 * Every `@username` in `text`, in order (a name mentioned twice comes twice). A trailing dot
 * ends a sentence rather than the name. The one rule behind {@link extractMentions} and the
 * UI's highlighting.
 */
export function mentionRanges(text: string): MentionRange[] {
  const ranges: MentionRange[] = [];
  for (const match of text.matchAll(MENTION)) {
    const name = match[2]!.replace(/\.+$/, '');
    if (!USERNAME_PATTERN.test(name)) continue;
    const start = match.index + match[1]!.length;
    ranges.push({ start, end: start + 1 + name.length, username: name });
  }
  return ranges;
}

/**
 * The usernames `text` mentions as `@username` (lowercase, each once, in order, at most 20).
 * Shared by chat-service (which stores them on the message as `mentions`) and the UI.
 */
export function extractMentions(text: string): string[] {
  const found = new Set<string>();
  for (const { username } of mentionRanges(text)) {
    found.add(username);
    if (found.size === MENTIONS_MAX) break;
  }
  return [...found];
}
