import { z } from 'zod';
import { errorDetailSchema } from './errors.js';
import { userIdSchema } from './ids.js';

/** Call signalling (DESIGN.md §3.5): chat-service relays these between two users' sockets, stores nothing. */
export const CALL_SIGNAL_TYPES = ['ring', 'offer', 'answer', 'ice', 'hangup', 'decline'] as const;
export type CallSignalType = (typeof CALL_SIGNAL_TYPES)[number];

/** Largest `data` of one signal, JSON-serialized (an SDP with many codecs is ~6 KB). */
export const CALL_SIGNAL_DATA_MAX_BYTES = 16 * 1024;

/** Chosen by the caller for one call: 1–64 of `[A-Za-z0-9_-]` (a UUID fits). */
export const callIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ -');

/** Bytes of `value` as JSON, or Infinity when it cannot be serialized (e.g. nested too deep). */
function jsonBytes(value: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(value) ?? '').length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

const callSignalDataSchema = z.unknown().refine((data) => jsonBytes(data) <= CALL_SIGNAL_DATA_MAX_BYTES, {
  message: `must be at most ${CALL_SIGNAL_DATA_MAX_BYTES} bytes as JSON`,
});

/** Not strict: a `fromUserId`/`fromName` in the payload is dropped; identity is the token's. */
export const callSignalPayloadSchema = z.object({
  toUserId: userIdSchema,
  callId: callIdSchema,
  type: z.enum(CALL_SIGNAL_TYPES),
  data: callSignalDataSchema.optional(),
});
export type CallSignalPayload = z.infer<typeof callSignalPayloadSchema>;

export const callSignalAckSchema = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), error: errorDetailSchema }),
]);
export type CallSignalAck = z.infer<typeof callSignalAckSchema>;

/**
 * What the callee's sockets receive; `fromUserId`/`fromName` come from the sender's token. A
 * user's own `answer`/`decline` also reaches their other sockets (without `data`), so the
 * devices still ringing stop: there `fromUserId` is the user's own id.
 */
export const callSignalSchema = z.object({
  fromUserId: userIdSchema,
  fromName: z.string(),
  callId: callIdSchema,
  type: z.enum(CALL_SIGNAL_TYPES),
  data: z.unknown().optional(),
});
export type CallSignal = z.infer<typeof callSignalSchema>;

/** An RTCIceServer as the browser takes it (TURN needs username and credential). */
export const iceServerSchema = z.strictObject({
  urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof iceServerSchema>;

/**
 * Sent by chat-service to each socket on connect: the ICE servers its operator configured
 * (`ICE_SERVERS`) and how long a call rings before it ends as missed (`CALL_RING_TIMEOUT_MS`).
 */
export const callConfigSchema = z.object({
  iceServers: z.array(iceServerSchema),
  ringTimeoutMs: z.number().int().positive(),
});
export type CallConfig = z.infer<typeof callConfigSchema>;

/** `internalNotify {event, data}`: from `POST /internal/notify` (DESIGN.md §3.6), volatile. */
export const internalNotifySchema = z.object({
  event: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ . : -'),
  data: z.unknown(),
});
export type InternalNotify = z.infer<typeof internalNotifySchema>;
