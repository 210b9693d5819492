import { CHAT_EXCHANGE, CHAT_EXCHANGE_TYPE } from '@chat/contracts';
import type { Channel } from 'amqplib';

/**
 * `chat_exchange` (topic, durable), declared idempotently by both sides of the message path:
 * chat-service publishes to it, message-service binds its queue to it.
 */
export async function declareChatExchange(channel: Channel): Promise<void> {
  await channel.assertExchange(CHAT_EXCHANGE, CHAT_EXCHANGE_TYPE, { durable: true });
}
