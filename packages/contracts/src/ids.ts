import { z } from 'zod';

/** Usernames: 3–32 of `[a-z0-9_.-]` (DESIGN.md §2). Normalised to lower case before checking. */
export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,32}$/;
export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(USERNAME_PATTERN, 'must be 3-32 characters of a-z, 0-9, _ . -');

/** Passwords: at least 8 characters and at most 72 bytes (bcrypt's input limit). */
export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_BYTES = 72;
export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_CHARS, `must be at least ${PASSWORD_MIN_CHARS} characters`)
  .refine((p) => new TextEncoder().encode(p).length <= PASSWORD_MAX_BYTES, {
    message: `must be at most ${PASSWORD_MAX_BYTES} bytes`,
  });

/**
 * Characters no store can hold or that change silently on the way (PostgreSQL refuses U+0000
 * in JSON; a lone UTF-16 surrogate becomes U+FFFD when encoded): refused at the edge with
 * INVALID rather than acked and then refused by the database.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** C0 controls but tab, line feed and carriage return, and DEL. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TEXT_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** In a single-line name, no control character at all. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NAME_CONTROL = /[\u0000-\u001F\u007F]/;

export function isStorableText(text: string): boolean {
  return !TEXT_CONTROL.test(text) && !LONE_SURROGATE.test(text);
}

export const displayNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((name) => !NAME_CONTROL.test(name) && !LONE_SURROGATE.test(name), {
    message: 'must not contain control characters or unpaired surrogates',
  });

/** User ids are MongoDB ObjectIds rendered as 24 hex characters. */
export const USER_ID_PATTERN = /^[a-f0-9]{24}$/;
export const userIdSchema = z.string().regex(USER_ID_PATTERN, 'must be a user id');

/** Public rooms: `[a-z0-9][a-z0-9_-]{0,63}`; direct rooms: `dm:<userId>:<userId>`, ids sorted. */
export const PUBLIC_ROOM_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const DM_ROOM_PATTERN = /^dm:([a-f0-9]{24}):([a-f0-9]{24})$/;

export const roomIdSchema = z.string().refine(
  (id) => {
    if (PUBLIC_ROOM_PATTERN.test(id)) return true;
    const m = DM_ROOM_PATTERN.exec(id);
    return m !== null && m[1]! < m[2]!;
  },
  { message: 'must be a public room name or dm:<userId>:<userId> with sorted ids' },
);

/** The direct room of two users: ids sorted so both sides name it the same. */
export function dmRoomId(a: string, b: string): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return `dm:${x}:${y}`;
}

/** The two members of a direct room, or null for a public room. */
export function dmMembers(roomId: string): [string, string] | null {
  const m = DM_ROOM_PATTERN.exec(roomId);
  return m ? [m[1]!, m[2]!] : null;
}

/** Whether `userId` may join or read `roomId`: public rooms are open to every signed-in user. */
export function canAccessRoom(userId: string, roomId: string): boolean {
  const members = dmMembers(roomId);
  return members === null || members.includes(userId);
}

/** Client-chosen idempotency key for a send: 1–64 of `[A-Za-z0-9_-]` (a UUID fits). */
export const clientMsgIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ -');

/** Text: 1–4000 characters after trimming (DESIGN.md §3). */
export const MESSAGE_TEXT_MAX = 4000;
export const messageTextSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MESSAGE_TEXT_MAX, `must be at most ${MESSAGE_TEXT_MAX} characters`)
  .refine(isStorableText, { message: 'must not contain NUL, control characters or unpaired surrogates' });

export const seqSchema = z.number().int().nonnegative();
