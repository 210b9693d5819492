import http from 'node:http';
import os from 'node:os';
import {
  Readiness,
  ShutdownRegistry,
  closeRedis,
  closeServer,
  connectMongo,
  createLogger,
  createMetricsRegistry,
  createRedis,
  listen,
  loadConfig,
  runService,
} from '@chat/service-kit';
import { SERVICE_NAME, createApp } from './app.js';
import { AttemptLimits } from './attempt-limits.js';
import { userServiceConfigSchema } from './config.js';
import { userServiceKeys } from './keys.js';
import { Passwords } from './passwords.js';
import { Tokens } from './tokens.js';
import { UserStore } from './users.js';

async function main(): Promise<void> {
  const config = loadConfig(userServiceConfigSchema);
  const tokens = new Tokens({
    privateKey: config.JWT_PRIVATE_KEY,
    publicKey: config.JWT_PUBLIC_KEY,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSec: config.JWT_TTL_SEC,
    sessionMaxSec: config.SESSION_MAX_SEC,
  });
  const log = createLogger(SERVICE_NAME, config.LOG_LEVEL);
  const readiness = new Readiness();
  const shutdown = new ShutdownRegistry(log, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.installSignalHandlers();
  const self = `${SERVICE_NAME}@${os.hostname()}`;

  // A short command timeout: a login must not hang while Redis is away.
  const redis = createRedis({ url: config.REDIS_URL, name: self, log, readiness, options: { commandTimeout: 1000 } });
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, appName: self, log, readiness });
  const users = new UserStore(mongo);
  await users.init();

  const metrics = createMetricsRegistry(SERVICE_NAME);
  const app = createApp({
    log,
    readiness,
    metrics,
    trustProxy: config.TRUST_PROXY,
    users,
    passwords: new Passwords(config.BCRYPT_COST),
    tokens,
    limits: new AttemptLimits(
      redis,
      userServiceKeys(config.REDIS_KEY_PREFIX),
      {
        login: {
          maxPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
          maxPerUserIp: config.LOGIN_MAX_FAILURES_PER_USER_IP,
          maxPerUser: config.LOGIN_MAX_FAILURES_PER_USER,
          windowSec: config.LOGIN_FAILURE_WINDOW_SEC,
          lockBaseSec: config.LOGIN_LOCK_BASE_SEC,
          lockMaxSec: config.LOGIN_LOCK_MAX_SEC,
        },
        registerPerIp: { max: config.REGISTER_MAX_PER_IP, windowSec: config.REGISTER_WINDOW_SEC },
        registerExempt: config.REGISTER_LIMIT_EXEMPT,
        refreshPerUser: { max: config.REFRESH_MAX_PER_USER, windowSec: config.REFRESH_WINDOW_SEC },
      },
      metrics,
    ),
  });
  const server = http.createServer(app);
  shutdown
    .add('mark draining', () => readiness.markDraining())
    .add('close http server', () => closeServer(server))
    .add('close mongo', () => mongo.close())
    .add('close redis', () => closeRedis(redis));
  const port = await listen(server, config.PORT, config.HOST);
  log.info({ port }, 'user-service listening');
}

runService(SERVICE_NAME, main);
