import {
  Readiness,
  ShutdownRegistry,
  closeServer,
  createHttpServer,
  createLogger,
  createMetricsRegistry,
  listen,
  loadConfig,
  runService,
} from '@chat/service-kit';
import { SERVICE_NAME, createApp } from './app.js';
import { gatewayConfigSchema } from './config.js';

async function main(): Promise<void> {
  const config = loadConfig(gatewayConfigSchema);
  const log = createLogger(SERVICE_NAME, config.LOG_LEVEL);
  const readiness = new Readiness();
  const shutdown = new ShutdownRegistry(log, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.installSignalHandlers();

  const gateway = createApp({
    log,
    readiness,
    metrics: createMetricsRegistry(SERVICE_NAME),
    userServiceUrl: config.USER_SERVICE_URL,
    messageServiceUrl: config.MESSAGE_SERVICE_URL,
    chatServiceUrls: config.CHAT_SERVICE_URLS,
    staticDir: config.STATIC_DIR,
    upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
    connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS,
    socketPollTimeoutMs: config.SOCKET_POLL_TIMEOUT_MS,
    maxBodyBytes: config.MAX_BODY_BYTES,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    uploadTimeoutMs: config.UPLOAD_TIMEOUT_MS,
    trustProxy: config.TRUST_PROXY,
    chatProbeIntervalMs: config.CHAT_PROBE_INTERVAL_MS,
  });
  const server = createHttpServer(gateway.app, log);
  // A whole request may take as long as an upload over a slow link (node's default is 5 min).
  server.requestTimeout = config.UPLOAD_TIMEOUT_MS;
  server.on('upgrade', gateway.handleUpgrade);
  const operatorServer = createHttpServer(gateway.operatorApp, log);
  shutdown
    .add('mark draining', () => readiness.markDraining())
    .add('drain http and close websockets', async () => {
      const drained = closeServer(server);
      gateway.closeUpgrades();
      await drained;
    })
    .add('release upstream connections', () => gateway.close())
    // Last: /ready answers 503 (draining) to the end, so probes see the drain.
    .add('close the operator port', () => closeServer(operatorServer));
  const operatorPort = await listen(operatorServer, config.OPERATOR_PORT, config.HOST);
  const port = await listen(server, config.PORT, config.HOST);
  log.info(
    { port, operatorPort, staticDir: config.STATIC_DIR, chatNodes: config.CHAT_SERVICE_URLS.length },
    'api-gateway listening',
  );
}

runService(SERVICE_NAME, main);
