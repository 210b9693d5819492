import { closeRedis, createRedis, type Logger, type Readiness } from '@chat/service-kit';
import type { Redis, RedisOptions } from 'ioredis';
import type { ChatConfig } from './config.js';
import type { HistoryClient } from './adapters/history-client.js';
import { createHttpHistoryClient } from './adapters/history-client_http.js';
import { AmqpPublisher } from './adapters/publisher_amqp.js';

export interface ChatInfrastructure {
  redis: Redis;
  sendRedis: Redis;
  adapterPub: Redis;
  adapterSub: Redis;
  publisher: AmqpPublisher;
  history: HistoryClient;
  /** Close the broker and Redis connections (after the socket server has drained). */
  close(): Promise<void>;
}

type InfraConfig = Pick<
  ChatConfig,
  'NODE_ID' | 'REDIS_URL' | 'AMQP_URL' | 'MESSAGE_SERVICE_URL' | 'CONFIRM_TIMEOUT_MS' | 'HISTORY_TIMEOUT_MS'
>;

/** The outside connections, named `chat-service@<NODE_ID>` so operators can tell the nodes apart. */
export function connectInfrastructure(config: InfraConfig, log: Logger, readiness: Readiness): ChatInfrastructure {
  const name = `chat-service@${config.NODE_ID}`;
  const redisClient = (role: string, readinessName: string, options: RedisOptions = {}) =>
    createRedis({ url: config.REDIS_URL, name: `${name}:${role}`, log, readiness, readinessName, options });
  // The connect path (socket leases, member rooms, presence) auto-pipelines: a burst of
  // connects' commands issued in one event-loop turn leaves in one write (`node bench/run.mjs
  // --only a`: 759 → 867 connects/s). Order holds among auto-pipelined commands only: an
  // explicit pipeline()/multi() or a command ioredis never batches (info, script, quit) may
  // overtake them; nothing relies on more.
  const redis = redisClient('cmd', 'redis', { enableAutoPipelining: true });
  // The send path has its own connection without it: its commands come one per await, so there
  // is nothing to batch, and ioredis builds a Pipeline per turn that copies every defined script
  // onto itself — under (b) ioredis' self time in chat-service's profile went 5.0–5.9 s → 2.4 s
  // per 65 s send phase, CPU that is tail latency on a machine without headroom.
  const sendRedis = redisClient('send', 'redis_send');
  const adapterPub = redisClient('pub', 'redis_pub');
  // The adapter subscribes before the connection is up; the INFO ready check would then fail
  // in subscriber mode and force a reconnect.
  const adapterSub = redisClient('sub', 'redis_sub', { enableReadyCheck: false });
  const publisher = new AmqpPublisher({
    url: config.AMQP_URL,
    name,
    log,
    readiness,
    confirmTimeoutMs: config.CONFIRM_TIMEOUT_MS,
  });
  return {
    redis,
    sendRedis,
    adapterPub,
    adapterSub,
    publisher,
    history: createHttpHistoryClient(config.MESSAGE_SERVICE_URL, config.HISTORY_TIMEOUT_MS),
    async close() {
      await publisher.close();
      await Promise.all([redis, sendRedis, adapterPub, adapterSub].map(closeRedis));
    },
  };
}
