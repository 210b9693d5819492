import { z } from 'zod';
import { clientMsgIdSchema, isStorableText, MESSAGE_TEXT_MAX, roomIdSchema, seqSchema, userIdSchema } from './ids.js';

/** A quoted message's excerpt in a reply: at most this many characters ('' once it is deleted). */
export const REPLY_EXCERPT_MAX = 140;
/** Distinct emoji one message may carry (DESIGN.md §3). */
export const REACTIONS_MAX = 20;
/** Longest reaction emoji, in code points (a flag or a family sequence fits). */
export const EMOJI_MAX_CHARS = 16;
/** Attachments one message may carry. */
export const ATTACHMENTS_MAX = 10;

/** Message ids: a UUID (derived, docs/sequences.md) or, for messages stored before that, an ObjectId. */
export const messageIdSchema = z.string().min(1).max(64);

/** A message id named in a payload: only id characters, so it is safe in a Redis key or a URL. */
export const messageIdParamSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a message id');

/**
 * Text as stored and broadcast: 0–4000 characters ('' once deleted, or beside attachments).
 * Not trimmed here: what a send or an edit accepted (trimmed) is kept as is.
 */
export const storedTextSchema = z
  .string()
  .max(MESSAGE_TEXT_MAX, `must be at most ${MESSAGE_TEXT_MAX} characters`)
  .refine(isStorableText, { message: 'must not contain NUL, control characters or unpaired surrogates' });

/** A reaction emoji: 1–16 code points, no whitespace, no control characters. */
export const emojiSchema = z.string().refine(
  (e) => {
    const points = [...e].length;
    return points >= 1 && points <= EMOJI_MAX_CHARS && !/\s/u.test(e) && isStorableText(e);
  },
  { message: `must be 1-${EMOJI_MAX_CHARS} characters without whitespace` },
);

export const replyToSchema = z.object({
  id: messageIdSchema,
  seq: seqSchema,
  senderName: z.string().min(1).max(64),
  /** The quoted message's text, cut to 140 characters; '' when it is deleted. */
  excerpt: z.string().max(REPLY_EXCERPT_MAX),
});
export type ReplyTo = z.infer<typeof replyToSchema>;

export const attachmentSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(255),
  size: z.number().int().nonnegative(),
  contentType: z.string().min(1).max(255),
});
export type Attachment = z.infer<typeof attachmentSchema>;

/** One emoji and who reacted with it (each user once, never empty). */
export const reactionSchema = z.object({
  emoji: emojiSchema,
  userIds: z.array(userIdSchema).min(1),
});
export type Reaction = z.infer<typeof reactionSchema>;

/**
 * A chat message as broadcast, acked, queued and stored (DESIGN.md §3), in its current
 * state: `version` is the room seq of its latest change (= `seq` until it changes).
 */
export const messageSchema = z.object({
  id: messageIdSchema,
  roomId: roomIdSchema,
  seq: seqSchema,
  version: seqSchema,
  senderId: userIdSchema,
  senderName: z.string().min(1).max(64),
  text: storedTextSchema,
  clientMsgId: clientMsgIdSchema,
  /** ISO-8601 timestamp set by chat-service. */
  createdAt: z.iso.datetime(),
  editedAt: z.iso.datetime().optional(),
  deletedAt: z.iso.datetime().optional(),
  replyTo: replyToSchema.optional(),
  attachments: z.array(attachmentSchema).max(ATTACHMENTS_MAX).optional(),
  /** Each emoji at most once, at most 20 of them. */
  reactions: z
    .array(reactionSchema)
    .max(REACTIONS_MAX)
    .refine((list) => new Set(list.map((r) => r.emoji)).size === list.length, { message: 'each emoji once' })
    .optional(),
  /** Usernames the text mentions as `@username` (extractMentions), set by chat-service; at most 20. */
  mentions: z.array(z.string().min(3).max(32)).max(20).optional(),
  /** From the internal publish API (DESIGN.md §3.6). */
  system: z.literal(true).optional(),
});
export type Message = z.infer<typeof messageSchema>;

/** Whichever copy of a message is newer (a higher `version`); `held` on a tie. */
export function newerMessage(held: Message, incoming: Message): Message {
  return incoming.version > held.version ? incoming : held;
}
