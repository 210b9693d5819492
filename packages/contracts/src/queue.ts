import { messageSchema } from './message.js';

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

/** The queued body is exactly a Message, JSON-encoded. */
export const queuedMessageSchema = messageSchema;

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
