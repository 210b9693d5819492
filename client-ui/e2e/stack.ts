import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLogger,
  createMetricsRegistry,
  createTokenVerifier,
  listen,
  loadConfig,
  Readiness,
} from '@chat/service-kit';
import { freePort, type Isolation, testKeyPair } from '@chat/testing';
import { startGateway, type RunningGateway } from '../../api-gateway/test/harness.js';
import { createApp as createChatApp } from '../../chat-service/src/app.js';
import { chatConfigSchema } from '../../chat-service/src/config.js';
import { connectInfrastructure } from '../../chat-service/src/infrastructure.js';
import { startService as startMessageService, type RunningService } from '../../message-service/test/helpers.js';
import { startUserService, type RunningUserService } from '../../user-service/test/harness.js';

const CLIENT_UI_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Build the UI into a fresh temporary directory, as `npm run build` would into dist/. */
export async function buildUi(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chat-ui-e2e-'));
  const { build } = await import('vite');
  await build({
    configFile: path.join(CLIENT_UI_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: dir, emptyOutDir: true, sourcemap: false, reportCompressedSize: false },
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export { freePort };

export interface ChatNode {
  url: string;
  stop(): Promise<void>;
}

/**
 * chat-service as its main.ts builds it, on a fixed port (the gateway knows it by URL, and
 * the restart test brings it back at the same address).
 */
export async function startChatNode(
  iso: Isolation,
  opts: { port: number; allowedOrigin: string; messageServiceUrl: string; env?: Record<string, string> },
): Promise<ChatNode> {
  const config = loadConfig(chatConfigSchema, {
    NODE_ENV: 'test',
    JWT_PUBLIC_KEY: testKeyPair().publicKey,
    REDIS_URL: iso.redisUrl,
    REDIS_KEY_PREFIX: iso.redisPrefix,
    AMQP_URL: iso.amqpUrl,
    MESSAGE_SERVICE_URL: opts.messageServiceUrl,
    ALLOWED_ORIGINS: opts.allowedOrigin,
    SHUTDOWN_TIMEOUT_MS: '5000',
    RECONNECT_HINT_MS: '200',
    // One user sends the whole scenario, backlog included, within a minute.
    SEND_RATE_LIMIT_PER_MIN: '1000',
    ...opts.env,
  });
  const log = createLogger('chat-service-e2e', 'silent');
  const readiness = new Readiness();
  const infra = connectInfrastructure(config, log, readiness);
  await infra.publisher.start();
  const app = createChatApp({
    ...infra,
    config,
    log,
    readiness,
    metrics: createMetricsRegistry('chat-service', false),
    verifyToken: createTokenVerifier(config.JWT_PUBLIC_KEY, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
  });
  await listen(app.server, opts.port, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${opts.port}`,
    stop: async () => {
      await app.close();
      await infra.close();
    },
  };
}

export interface Stack {
  /** The one origin the browser talks to. */
  url: string;
  /** chat-service itself (its internal API is not reachable through the gateway). */
  chatUrl: string;
  gateway: RunningGateway;
  /** Stop chat-service and start it again at the same address. */
  restartChat(opts?: { downMs?: number }): Promise<void>;
  stopChat(): Promise<void>;
  startChat(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The whole platform in this process, every service from its own createApp over the file's
 * isolated MongoDB database, Redis prefix and RabbitMQ vhost, with the gateway serving `uiDir`.
 */
export interface StackOptions {
  /** Extra chat-service settings (e.g. a low SEND_RATE_LIMIT_PER_MIN). */
  chatEnv?: Record<string, string>;
  /** user-service attempt limits instead of the generous test ones. */
  userLimits?: NonNullable<Parameters<typeof startUserService>[1]>['limits'];
}

export async function startStack(iso: Isolation, uiDir: string, options: StackOptions = {}): Promise<Stack> {
  let users: RunningUserService | undefined;
  let messages: RunningService | undefined;
  let gateway: RunningGateway | undefined;
  let chat: ChatNode | undefined;
  try {
    users = await startUserService(iso, options.userLimits ? { limits: options.userLimits } : {});
    // Member names missing from the membership documents are asked of user-service, as deployed.
    messages = await startMessageService(iso, { env: { USER_SERVICE_URL: users.url } });
    const chatPort = await freePort();
    gateway = await startGateway({
      userServiceUrl: users.url,
      messageServiceUrl: messages.url,
      chatServiceUrls: [`http://127.0.0.1:${chatPort}`],
      staticDir: uiDir,
    });
    const chatOpts = {
      port: chatPort,
      allowedOrigin: gateway.url,
      messageServiceUrl: messages.url,
      ...(options.chatEnv ? { env: options.chatEnv } : {}),
    };
    chat = await startChatNode(iso, chatOpts);
    const running = { users, messages, gateway };
    const stack: Stack = {
      url: gateway.url,
      chatUrl: `http://127.0.0.1:${chatPort}`,
      gateway,
      stopChat: async () => {
        await chat?.stop();
        chat = undefined;
      },
      startChat: async () => {
        chat ??= await startChatNode(iso, chatOpts);
      },
      restartChat: async ({ downMs = 0 } = {}) => {
        await stack.stopChat();
        await new Promise((r) => setTimeout(r, downMs));
        await stack.startChat();
      },
      close: async () => {
        await chat?.stop();
        await running.gateway.close();
        await running.messages.close();
        await running.users.close();
      },
    };
    return stack;
  } catch (err) {
    await Promise.allSettled([chat?.stop(), gateway?.close(), messages?.close(), users?.close()]);
    throw err;
  }
}
