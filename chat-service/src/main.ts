import { setFlagsFromString } from 'node:v8';
import { createLogger, listen, loadConfig, runService, ShutdownRegistry } from '@chat/service-kit';
import { chatConfigSchema } from './config.js';
import { createChatService } from './service.js';

async function main(): Promise<void> {
  // V8's allocation-site pretenuring, once it has seen engine.io's delivery packets outlive a
  // scavenge (a burst of connects and joins), allocates every later one in the old generation:
  // 7.4 instead of 1.4 KB promoted per message, 4–5 mark-compacts per 20 s sweep instead of none and
  // 8% more CPU (bench/results/2026-12-03T07-55-10-interleaved.md). Delivery packets live for
  // one write, so young allocation is right for them. Set before any traffic.
  setFlagsFromString('--no-allocation-site-pretenuring');
  const config = loadConfig(chatConfigSchema);
  const log = createLogger('chat-service', config.LOG_LEVEL);

  const service = createChatService(config, log);
  // Not awaited: the node serves /health at once and sends fail UNAVAILABLE until RabbitMQ is up.
  void service.infra.publisher.start();

  const shutdown = new ShutdownRegistry(log, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.add('drain sockets', () => service.app.close()).add('close connections', () => service.infra.close());
  shutdown.installSignalHandlers();

  const port = await listen(service.app.server, config.PORT, config.HOST);
  log.info({ port }, 'chat-service listening');
}

/**
 * The Socket.IO Redis adapter publishes and (un)subscribes fire-and-forget; while Redis is
 * down those promises reject with nobody listening. Those (raised inside the Redis client)
 * are logged; any other unhandled rejection ends the node like any unexpected error.
 */
const raisedByRedisClient = (reason: unknown): boolean =>
  reason instanceof Error && /[\\/]node_modules[\\/]ioredis[\\/]/.test(reason.stack ?? '');

runService('chat-service', main, { isBenignRejection: raisedByRedisClient });
