import { z } from 'zod';
import { seqSchema } from './ids.js';
import {
  MEMBER_EVENT_TYPES,
  membershipQueueEventSchema,
  readQueueEventSchema,
  type MemberEventType,
  type MembershipQueueEvent,
  type ReadQueueEvent,
} from './membership.js';
import { messageSchema, type Message } from './message.js';

/** RabbitMQ topology (DESIGN.md §4). One source of truth for these names. */
export const CHAT_EXCHANGE = 'chat_exchange';
export const CHAT_EXCHANGE_TYPE = 'topic';
export const MESSAGE_PERSIST_QUEUE = 'message_persist_queue';
export const MESSAGE_PERSIST_DLQ = 'message_persist_queue.dlq';
/** Dead-letter exchange that routes rejected persist messages to the DLQ. */
export const MESSAGE_PERSIST_DLX = 'message_persist_queue.dlx';
/** The DLX routes by the key in MESSAGE_PERSIST_QUEUE_ARGS to the one DLQ bound to it. */
export const MESSAGE_PERSIST_DLX_TYPE = 'direct';
export const MESSAGE_ROUTING_PATTERN = 'messages.*';
/**
 * How often a message may be redelivered before the broker dead-letters it. A backstop only:
 * the consumer dead-letters bad messages itself. Kept high because RabbitMQ 3.x also counts
 * returns from a lost consumer connection, so a low limit would park good messages after a
 * few message-service restarts during a MongoDB outage.
 */
export const MESSAGE_PERSIST_DELIVERY_LIMIT = 50;
/** Header naming why a message was dead-lettered by the consumer. */
export const DEAD_LETTER_REASON_HEADER = 'x-dead-letter-reason';

export function messageRoutingKey(roomId: string): string {
  return `messages.${roomId}`;
}

/** Schema version of the queue envelope. */
export const ROOM_EVENT_VERSION = 1;
/** Room event types on the queue (membership.ts adds `membership` and `read`; an unknown type is dead-lettered). */
export const ROOM_EVENT_TYPES = ['message', 'edit', 'delete', 'reaction'] as const;
export type RoomEventType = (typeof ROOM_EVENT_TYPES)[number];

/**
 * The queued body (DESIGN.md §3.2, §4): `{v: 1, type, message}`, JSON-encoded, where
 * `message` is the message's full state after the event (for `message`, as sent).
 */
export const roomEventSchema = z.object({
  v: z.literal(ROOM_EVENT_VERSION),
  type: z.enum(ROOM_EVENT_TYPES),
  message: messageSchema,
});
export type RoomEvent = z.infer<typeof roomEventSchema>;

/** A body published before the envelope: a bare Message without `version`, read as `{v:1, type:'message'}`. */
const legacyMessageBodySchema = messageSchema.extend({ version: seqSchema.optional() }).transform((m): RoomEvent => ({
  v: ROOM_EVENT_VERSION,
  type: 'message',
  message: { ...m, version: m.version ?? m.seq } as Message,
}));

/** Whether a body claims to be an envelope (a bare Message has none of its fields). */
export function isEnvelope(body: unknown): boolean {
  return typeof body === 'object' && body !== null && ('v' in body || 'type' in body || 'message' in body);
}

/** A room event (the envelope or a legacy bare Message) read as a RoomEvent; membership and read envelopes fail here. */
export function parseQueuedEvent(body: unknown): z.ZodSafeParseResult<RoomEvent> {
  return isEnvelope(body) ? roomEventSchema.safeParse(body) : legacyMessageBodySchema.safeParse(body);
}

/** Membership and read markers ride the persist queue beside room events (DESIGN.md §3.3, §4 item 4). */
export type MemberQueueEvent = MembershipQueueEvent | ReadQueueEvent;
/** Every body the persist queue carries. */
export type QueuedEvent = RoomEvent | MemberQueueEvent;

export function isMemberQueueEvent(event: QueuedEvent): event is MemberQueueEvent {
  return MEMBER_EVENT_TYPES.includes(event.type as MemberEventType);
}

/**
 * Any body the persist queue's consumer accepts: a room event (or legacy bare Message), a
 * membership or a read-marker envelope. The schema is chosen by `type`, so a malformed body
 * is reported against the shape it claims.
 */
export function parseQueuedBody(body: unknown): z.ZodSafeParseResult<QueuedEvent> {
  if (!isEnvelope(body)) return legacyMessageBodySchema.safeParse(body);
  switch ((body as { type?: unknown }).type) {
    case 'membership':
      return membershipQueueEventSchema.safeParse(body);
    case 'read':
      return readQueueEventSchema.safeParse(body);
    default:
      return roomEventSchema.safeParse(body);
  }
}

/** An envelope body of a version or type this code does not know (a future one): why it cannot be read, else null. */
export function unknownQueuedEvent(body: unknown): string | null {
  if (!isEnvelope(body)) return null;
  const { v, type } = body as { v?: unknown; type?: unknown };
  if (v !== ROOM_EVENT_VERSION) return `unknown envelope version ${JSON.stringify(v ?? null)}`.slice(0, 200);
  if (!ROOM_EVENT_TYPES.includes(type as RoomEventType) && !MEMBER_EVENT_TYPES.includes(type as MemberEventType))
    return `unknown event type ${JSON.stringify(type ?? null)}`.slice(0, 200);
  return null;
}

/** Arguments of the persist queue, shared by the declaring code and the broker definitions. */
export const MESSAGE_PERSIST_QUEUE_ARGS = {
  'x-queue-type': 'quorum',
  'x-dead-letter-exchange': MESSAGE_PERSIST_DLX,
  'x-dead-letter-routing-key': MESSAGE_PERSIST_DLQ,
  'x-delivery-limit': MESSAGE_PERSIST_DELIVERY_LIMIT,
} as const;

/** Arguments of the dead-letter queue: quorum too, so parked messages survive losing a broker node. */
export const MESSAGE_PERSIST_DLQ_ARGS = {
  'x-queue-type': 'quorum',
} as const;
