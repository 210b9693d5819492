import {
  CHAT_EXCHANGE,
  MESSAGE_PERSIST_DLQ,
  MESSAGE_PERSIST_DLQ_ARGS,
  MESSAGE_PERSIST_DLX,
  MESSAGE_PERSIST_DLX_TYPE,
  MESSAGE_PERSIST_QUEUE,
  MESSAGE_PERSIST_QUEUE_ARGS,
  MESSAGE_ROUTING_PATTERN,
} from '@chat/contracts';
import { declareChatExchange } from '@chat/service-kit';
import type { Channel } from 'amqplib';

/**
 * The whole persist path (DESIGN.md §4), idempotent, from the contracts' constants:
 * `chat_exchange` → `message_persist_queue` (quorum, delivery limit) bound to `messages.*`,
 * dead-lettering through `message_persist_queue.dlx` into `message_persist_queue.dlq`.
 */
export async function declareTopology(channel: Channel): Promise<void> {
  await declareChatExchange(channel);
  await channel.assertExchange(MESSAGE_PERSIST_DLX, MESSAGE_PERSIST_DLX_TYPE, { durable: true });
  await channel.assertQueue(MESSAGE_PERSIST_DLQ, { durable: true, arguments: { ...MESSAGE_PERSIST_DLQ_ARGS } });
  await channel.bindQueue(MESSAGE_PERSIST_DLQ, MESSAGE_PERSIST_DLX, MESSAGE_PERSIST_DLQ);
  await channel.assertQueue(MESSAGE_PERSIST_QUEUE, { durable: true, arguments: { ...MESSAGE_PERSIST_QUEUE_ARGS } });
  await channel.bindQueue(MESSAGE_PERSIST_QUEUE, CHAT_EXCHANGE, MESSAGE_ROUTING_PATTERN);
}
