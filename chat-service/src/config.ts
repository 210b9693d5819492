import {
  amqpConfigShape,
  commonConfigShape,
  intVar,
  portVar,
  redisConfigShape,
  tokenConfigShape,
  urlListVar,
  urlVar,
} from '@chat/service-kit';
import { z } from 'zod';

/** chat-service environment (docs/architecture.md lists the shared variables). */
export const chatConfigSchema = z.object({
  ...commonConfigShape,
  ...tokenConfigShape,
  PORT: portVar(3003),
  ...redisConfigShape,
  ...amqpConfigShape,
  MESSAGE_SERVICE_URL: urlVar(['http:', 'https:'], 'http://127.0.0.1:3002'),
  /** Browser origins allowed to open a socket; clients without an Origin header are not browsers. */
  ALLOWED_ORIGINS: urlListVar(['http:', 'https:'], 'http://localhost:3000').transform((list) =>
    list.map((u) => new URL(u).origin),
  ),
  /** Accepted sends per user per minute, counted across all nodes. */
  SEND_RATE_LIMIT_PER_MIN: intVar(100, 1, 100_000),
  /** Longest wait for a RabbitMQ publisher confirm before the send fails with UNAVAILABLE. */
  CONFIRM_TIMEOUT_MS: intVar(5000, 100, 60_000),
  /** Messages kept per room in Redis to answer `joinRoom {sinceSeq}` during the persistence lag. */
  RECENT_BUFFER_SIZE: intVar(200, 1, 10_000),
  /** How long a user's clientMsgId is remembered for idempotent resends. */
  DEDUPE_TTL_SEC: intVar(86_400, 60, 30 * 86_400),
  HISTORY_TIMEOUT_MS: intVar(3000, 100, 60_000),
  /** Hint sent with `serverShutdown`: how soon clients should reconnect (to another node). */
  RECONNECT_HINT_MS: intVar(1000, 0, 60_000),
});

export type ChatConfig = z.infer<typeof chatConfigSchema>;
