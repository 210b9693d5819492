import {
  ConfigError,
  createLogger,
  createMetricsRegistry,
  createTokenVerifier,
  listen,
  loadConfig,
  Readiness,
  ShutdownRegistry,
} from '@chat/service-kit';
import { createApp } from './app.js';
import { chatConfigSchema, type ChatConfig } from './config.js';
import { connectInfrastructure } from './infrastructure.js';

function readConfig(): ChatConfig {
  try {
    return loadConfig(chatConfigSchema);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

const config = readConfig();
const log = createLogger('chat-service', config.LOG_LEVEL);
// The Socket.IO Redis adapter publishes and (un)subscribes fire-and-forget; while Redis is
// down those promises reject with nobody listening. Log them instead of crashing the node.
process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
const readiness = new Readiness();
const infra = connectInfrastructure(config, log, readiness);
// Not awaited: the node serves /health at once and sends fail UNAVAILABLE until RabbitMQ is up.
void infra.publisher.start();
const app = createApp({
  ...infra,
  config,
  log,
  readiness,
  metrics: createMetricsRegistry('chat-service'),
  verifyToken: createTokenVerifier(config.JWT_PUBLIC_KEY, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
});

const shutdown = new ShutdownRegistry(log, config.SHUTDOWN_TIMEOUT_MS);
shutdown.add('drain sockets', () => app.close()).add('close connections', () => infra.close());
shutdown.installSignalHandlers();

const port = await listen(app.server, config.PORT, config.HOST);
log.info({ port }, 'chat-service listening');
