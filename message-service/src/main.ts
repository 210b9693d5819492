import { createServer } from 'node:http';
import os from 'node:os';
import {
  closeRedis,
  closeServer,
  connectMongo,
  createLogger,
  createRedis,
  listen,
  loadConfig,
  runService,
  ShutdownRegistry,
} from '@chat/service-kit';
import { createApp, SERVICE_NAME } from './app.js';
import { messageServiceConfigSchema } from './config.js';

async function main(): Promise<void> {
  const config = loadConfig(messageServiceConfigSchema);
  const log = createLogger(SERVICE_NAME, config.LOG_LEVEL);
  const name = `${SERVICE_NAME}@${os.hostname()}`;
  const shutdown = new ShutdownRegistry(log, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.installSignalHandlers();

  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, appName: name, log });
  // No offline queue: while Redis is down cache commands fail at once and history reads MongoDB.
  const redis = createRedis({ url: config.REDIS_URL, name, log, options: { enableOfflineQueue: false } });
  const service = createApp({ config, log, mongo, redis });
  const server = createServer(service.app);
  server.requestTimeout = config.UPLOAD_TIMEOUT_MS;

  shutdown
    .add('mark draining', () => service.readiness.markDraining())
    .add('close http server', () => closeServer(server))
    .add('stop consuming', () => service.stop())
    .add('close cache', () => {
      service.history.close();
      return closeRedis(redis);
    })
    .add('close mongo', () => mongo.close());

  const port = await listen(server, config.PORT, config.HOST);
  log.info({ port }, 'listening');
  // History is served while the consumer waits for RabbitMQ.
  await service.start();
}

runService(SERVICE_NAME, main);
