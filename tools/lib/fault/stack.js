// The fault run's own stack, every part of which it may kill: a private redis-server (append-only
// file, so a restart keeps the data) and a private RabbitMQ node on free loopback ports, the
// shared MongoDB under a database of its own, and each service from its entry point (built
// dist/main.js, or src/main.ts under tsx in tests) as a child process: user-service,
// message-service, two chat-service nodes and the gateway in front of them.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';

export const SERVICES = ['user-service', 'message-service', 'chat-service', 'api-gateway'];

/**
 * @param {object} o
 * @param {string} o.root the repository
 * @param {typeof import('@chat/testing')} o.testing the built @chat/testing (imported after the build)
 * @param {string} o.mongoUrl
 * @param {Record<string,string>} o.env added to every service (limits for the run)
 * @param {(line: string) => void} o.log
 * @param {'dist'|'src'} [o.entry] run dist/main.js (built) or src/main.ts (with tsx)
 * @param {{amqpUrl: string, vhost: string, management: object}} [o.broker] a vhost of a shared
 *   broker instead of a private node (faster to start; RabbitMQ cannot be restarted then)
 * @param {boolean} [o.management] the private node with its management API (slower to start)
 * @param {(stack: object) => void} [o.onStack] told the stack before anything starts, so an
 *   abort can close whatever has started by then
 */
export async function startFaultStack({
  onStack,
  root,
  testing,
  mongoUrl,
  env,
  log,
  entry = 'dist',
  broker,
  management = true,
}) {
  const mainOf = (svc) => (entry === 'dist' ? join(root, svc, 'dist', 'main.js') : join(root, svc, 'src', 'main.ts'));
  for (const svc of SERVICES) {
    if (!existsSync(mainOf(svc))) throw new Error(`${mainOf(svc)} missing: run \`npm run build\``);
  }
  const opened = [];
  let closing = null;
  const stack = {
    mongoUrl,
    dbName: `fault_run_${randomBytes(4).toString('hex')}`,
    // Once, however many callers (the run's own finally, an abort, a test's teardown) ask.
    close() {
      closing ??= (async () => {
        for (const part of opened.reverse()) await part.close().catch((err) => log(`cleanup: ${err.message}`));
      })();
      return closing;
    },
  };
  onStack?.(stack);
  try {
    log(`starting a private redis-server${broker ? '' : ' and a private RabbitMQ node'}`);
    stack.redis = await testing.startPrivateRedis({ persist: true });
    opened.push(stack.redis);
    if (!broker) {
      stack.rabbit = await testing.startPrivateRabbit({ management });
      opened.push(stack.rabbit);
    }
    stack.amqpUrl = broker ? broker.amqpUrl : stack.rabbit.amqpUrl;
    stack.vhost = broker ? broker.vhost : '/';
    const managementUrl = stack.rabbit?.managementUrl;
    stack.management = broker ? broker.management : managementUrl ? new testing.RabbitManagement(managementUrl) : null;
    const mongo = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
    await mongo.connect();
    stack.mongo = mongo.db(stack.dbName);
    opened.push({
      close: async () => {
        await stack.mongo.dropDatabase();
        await mongo.close();
      },
    });

    const keys = testing.testKeyPair();
    const port = () => testing.freePort();
    const ports = {
      user: await port(),
      message: await port(),
      gateway: await port(),
      chat: [await port(), await port()],
    };
    const url = (p) => `http://127.0.0.1:${p}`;
    const common = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      JWT_PUBLIC_KEY: keys.publicKey,
      REDIS_URL: stack.redis.url,
      REDIS_KEY_PREFIX: 'fault:',
      AMQP_URL: stack.amqpUrl,
      MONGO_URL: mongoUrl,
      MONGO_DB: stack.dbName,
      MESSAGE_SERVICE_URL: url(ports.message),
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...env,
    };
    // Stopped together (SIGTERM, each drains on its own), before the servers they use.
    const services = [];
    opened.push({ close: () => Promise.all(services.map((p) => p.stop(10_000))) });
    const launch = async (name, dir, p, extra = {}) => {
      const proc = await testing.startServiceProcess({
        name,
        entry: mainOf(dir),
        port: p,
        env: { ...common, ...extra },
        cwd: root,
      });
      services.push(proc);
      return proc;
    };
    log('starting user-service, message-service and two chat-service nodes');
    [stack.user, stack.message, ...stack.chat] = await Promise.all([
      launch('user-service', 'user-service', ports.user, { JWT_PRIVATE_KEY: keys.privateKey }),
      launch('message-service', 'message-service', ports.message),
      ...ports.chat.map((p, n) => launch(`chat-service-${n + 1}`, 'chat-service', p, { NODE_ID: `chat-${n + 1}` })),
    ]);
    stack.gateway = await launch('api-gateway', 'api-gateway', ports.gateway, {
      USER_SERVICE_URL: stack.user.url,
      CHAT_SERVICE_URLS: stack.chat.map((c) => c.url).join(','),
    });
    stack.url = stack.gateway.url;
    return stack;
  } catch (err) {
    await stack.close();
    throw err;
  }
}
