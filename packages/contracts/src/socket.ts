import { z } from 'zod';
import type { CallConfig, CallSignal, CallSignalAck, CallSignalPayload, InternalNotify } from './calls.js';
import { errorDetailSchema } from './errors.js';
import {
  clientMsgIdSchema,
  isStorableText,
  MESSAGE_TEXT_MAX,
  messageTextSchema,
  roomIdSchema,
  seqSchema,
} from './ids.js';
import type {
  MarkReadPayload,
  MembershipEvent,
  PresenceEvent,
  ReadMarkerEvent,
  TypingEvent,
  TypingPayload,
} from './membership.js';
import { ATTACHMENTS_MAX, emojiSchema, messageIdParamSchema, messageSchema, type Message } from './message.js';

/** Socket.IO protocol (DESIGN.md §3): path `/socket.io`, default namespace, `auth: {token}`. */
export const SOCKET_PATH = '/socket.io';
/** The `connect_error` message for a missing, expired or forged token. */
export const UNAUTHORIZED_CONNECT_ERROR = 'unauthorized';
/**
 * The `connect_error` message when the user already has the most sockets allowed (DESIGN.md
 * §4.1, 20 by default, across nodes); its `data` is `{retryAfterSec}` ({@link RateLimitedConnectData}).
 */
export const RATE_LIMITED_CONNECT_ERROR = 'rate_limited';
export interface RateLimitedConnectData {
  retryAfterSec: number;
}
/** How many missed messages one `joinRoom` ack carries at most; the rest come from history. */
export const JOIN_MISSED_MAX = 200;

export const joinRoomPayloadSchema = z.strictObject({
  roomId: roomIdSchema,
  sinceSeq: seqSchema.optional(),
});
export type JoinRoomPayload = z.infer<typeof joinRoomPayloadSchema>;

export const leaveRoomPayloadSchema = z.strictObject({ roomId: roomIdSchema });
export type LeaveRoomPayload = z.infer<typeof leaveRoomPayloadSchema>;

/**
 * `sendMessage`: text 1–4000 characters after trimming, or 0–4000 when the message carries
 * attachments; `replyToId` quotes a message of the same room.
 */
export const sendMessagePayloadSchema = z
  .strictObject({
    roomId: roomIdSchema,
    clientMsgId: clientMsgIdSchema,
    text: z
      .string()
      .trim()
      .max(MESSAGE_TEXT_MAX, `must be at most ${MESSAGE_TEXT_MAX} characters`)
      .refine(isStorableText, { message: 'must not contain NUL, control characters or unpaired surrogates' }),
    replyToId: messageIdParamSchema.optional(),
    attachmentIds: z
      .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/))
      .max(ATTACHMENTS_MAX)
      .optional(),
  })
  .refine((p) => p.text.length > 0 || (p.attachmentIds?.length ?? 0) > 0, {
    message: 'must not be empty',
    path: ['text'],
  });
export type SendMessagePayload = z.input<typeof sendMessagePayloadSchema>;

/** `editMessage`: the sender's new text (1–4000 after trimming); not on a deleted message. */
export const editMessagePayloadSchema = z.strictObject({
  roomId: roomIdSchema,
  messageId: messageIdParamSchema,
  text: messageTextSchema,
  /** Optional idempotency key: a resend of the same one applies once and answers the same message. */
  clientMsgId: clientMsgIdSchema.optional(),
});
export type EditMessagePayload = z.input<typeof editMessagePayloadSchema>;

/** `deleteMessage`: the sender takes a message back; it keeps its place as a placeholder. */
export const deleteMessagePayloadSchema = z.strictObject({
  roomId: roomIdSchema,
  messageId: messageIdParamSchema,
  clientMsgId: clientMsgIdSchema.optional(),
});
export type DeleteMessagePayload = z.input<typeof deleteMessagePayloadSchema>;

/** `react`: add or take back the caller's `emoji` on a message; idempotent. */
export const reactPayloadSchema = z.strictObject({
  roomId: roomIdSchema,
  messageId: messageIdParamSchema,
  emoji: emojiSchema,
  add: z.boolean(),
  clientMsgId: clientMsgIdSchema.optional(),
});
export type ReactPayload = z.input<typeof reactPayloadSchema>;

export const ackErrorSchema = z.object({ ok: z.literal(false), error: errorDetailSchema });
export type AckError = z.infer<typeof ackErrorSchema>;

export const joinRoomOkSchema = z.object({
  ok: z.literal(true),
  /** `lastReadSeq`: the caller's read marker in the room (DESIGN.md §3.3), 0 before any `markRead`. */
  room: z.object({ id: roomIdSchema, lastSeq: seqSchema, lastReadSeq: seqSchema }),
  missed: z.array(messageSchema),
  hasMore: z.boolean(),
});
export type JoinRoomOk = z.infer<typeof joinRoomOkSchema>;
export const joinRoomAckSchema = z.union([joinRoomOkSchema, ackErrorSchema]);
export type JoinRoomAck = z.infer<typeof joinRoomAckSchema>;

export const markReadAckSchema = z.union([z.object({ ok: z.literal(true), lastReadSeq: seqSchema }), ackErrorSchema]);
export type MarkReadAck = z.infer<typeof markReadAckSchema>;
export const typingAckSchema = z.union([z.object({ ok: z.literal(true) }), ackErrorSchema]);
export type TypingAck = z.infer<typeof typingAckSchema>;

export const leaveRoomAckSchema = z.union([z.object({ ok: z.literal(true) }), ackErrorSchema]);
export type LeaveRoomAck = z.infer<typeof leaveRoomAckSchema>;

/** `refreshToken {token}`: a newer valid token of the same user extends the socket's life (DESIGN.md §3). */
export const refreshTokenPayloadSchema = z.strictObject({ token: z.string().min(1).max(4096) });
export type RefreshTokenPayload = z.infer<typeof refreshTokenPayloadSchema>;
/**
 * `expiresAt`: unix epoch milliseconds at which the socket is disconnected unless refreshed again.
 * Refused with FORBIDDEN (a token of another user), UNAUTHORIZED (invalid, expired, no `exp`) or
 * INVALID (malformed, or expiring before the socket's current token).
 */
export const refreshTokenAckSchema = z.union([
  z.object({ ok: z.literal(true), expiresAt: z.number().int() }),
  ackErrorSchema,
]);
export type RefreshTokenAck = z.infer<typeof refreshTokenAckSchema>;
/** Sent about 60 s before the socket's token expires; `expiresAt` in unix epoch milliseconds. */
export interface TokenExpiring {
  expiresAt: number;
}

/** The ack of every room event (send, edit, delete, react): the message's resulting state. */
export const messageOkSchema = z.object({ ok: z.literal(true), message: messageSchema });
export const messageAckSchema = z.union([messageOkSchema, ackErrorSchema]);
export type MessageAck = z.infer<typeof messageAckSchema>;

export const sendMessageOkSchema = messageOkSchema;
export const sendMessageAckSchema = messageAckSchema;
export type SendMessageAck = MessageAck;
export type EditMessageAck = MessageAck;
export type DeleteMessageAck = MessageAck;
export type ReactAck = MessageAck;

/**
 * Typed event maps shared by server and client (socket.io's `Server<C2S, S2C>` and
 * `Socket<S2C, C2S>`). Payloads are `unknown` on the wire until validated, so the server
 * handler types take `unknown` and parse with the schemas above.
 */
export interface ClientToServerEvents {
  joinRoom: (payload: JoinRoomPayload, ack: (res: JoinRoomAck) => void) => void;
  leaveRoom: (payload: LeaveRoomPayload, ack: (res: LeaveRoomAck) => void) => void;
  sendMessage: (payload: SendMessagePayload, ack: (res: SendMessageAck) => void) => void;
  editMessage: (payload: EditMessagePayload, ack: (res: EditMessageAck) => void) => void;
  deleteMessage: (payload: DeleteMessagePayload, ack: (res: DeleteMessageAck) => void) => void;
  react: (payload: ReactPayload, ack: (res: ReactAck) => void) => void;
  refreshToken: (payload: RefreshTokenPayload, ack: (res: RefreshTokenAck) => void) => void;
  /** Moves the caller's read marker forward (DESIGN.md §3.3). */
  markRead: (payload: MarkReadPayload, ack: (res: MarkReadAck) => void) => void;
  /** Volatile; the ack is optional. */
  typing: (payload: TypingPayload, ack?: (res: TypingAck) => void) => void;
  /** Relayed to every socket of `toUserId` (DESIGN.md §3.5); NOT_FOUND when it has none. */
  callSignal: (payload: CallSignalPayload, ack: (res: CallSignalAck) => void) => void;
}

export interface ServerToClientEvents {
  receiveMessage: (message: Message) => void;
  /** A message's current state after an edit, delete or reaction: apply when its `version` is higher than the held one. */
  messageUpdated: (message: Message) => void;
  /** Sent by a draining node before it closes: reconnect (elsewhere) and resync. */
  serverShutdown: (info: { reconnectInMs: number }) => void;
  /** The socket's token expires at `expiresAt`: send `refreshToken` with a newer one before then. */
  tokenExpiring: (info: TokenExpiring) => void;
  callSignal: (signal: CallSignal) => void;
  /** Sent once on connect: ICE servers and the ring timeout for calls. */
  callConfig: (config: CallConfig) => void;
  internalNotify: (notice: InternalNotify) => void;
  typing: (event: TypingEvent) => void;
  presence: (event: PresenceEvent) => void;
  readMarker: (event: ReadMarkerEvent) => void;
  membership: (event: MembershipEvent) => void;
}
