import type { ErrorDetail, PublicUser } from '@chat/contracts';
import http from 'node:http';
import {
  Readiness,
  closeRedis,
  closeServer,
  connectMongo,
  createLogger,
  createMetricsRegistry,
  createRedis,
  listen,
} from '@chat/service-kit';
import { testKeyPair, type Isolation } from '@chat/testing';
import { createApp } from '../src/app.js';
import { AttemptLimits, type AttemptLimitSettings } from '../src/attempt-limits.js';
import { userServiceKeys } from '../src/keys.js';
import { Passwords } from '../src/passwords.js';
import { Tokens } from '../src/tokens.js';
import { UserStore } from '../src/users.js';

export const TOKEN_SETTINGS = { issuer: 'chat-platform', audience: 'chat-platform' };

const GENEROUS: AttemptLimitSettings = {
  login: { maxPerIp: 1000, maxPerUserIp: 1000, maxPerUser: 1000, windowSec: 900, lockBaseSec: 30, lockMaxSec: 900 },
  registerPerIp: { max: 1000, windowSec: 3600 },
  registerExempt: [],
  refreshPerUser: { max: 1000, windowSec: 600 },
};

export interface RunningUserService {
  url: string;
  close(): Promise<void>;
}

/** A real user-service on port 0 over the file's isolated MongoDB database and Redis prefix. */
export async function startUserService(
  iso: Isolation,
  opts: {
    limits?: Partial<AttemptLimitSettings>;
    trustProxy?: string[];
    redisUrl?: string;
    /** SESSION_MAX_SEC (default 7 days) and JWT_TTL_SEC (default 3600). */
    sessionMaxSec?: number;
    ttlSec?: number;
  } = {},
): Promise<RunningUserService> {
  const log = createLogger('user-service', 'silent');
  const readiness = new Readiness();
  const redis = createRedis({
    url: opts.redisUrl ?? iso.redisUrl,
    name: 'user-service-test',
    log,
    readiness,
    options: { commandTimeout: 1000 },
  });
  const mongo = await connectMongo({
    url: iso.mongoUrl,
    dbName: iso.mongoDbName,
    appName: 'user-service-test',
    log,
    readiness,
  });
  const users = new UserStore(mongo);
  await users.init();
  const keys = testKeyPair();
  const metrics = createMetricsRegistry('user-service', false);
  const app = createApp({
    log,
    readiness,
    metrics,
    trustProxy: opts.trustProxy ?? ['loopback'],
    users,
    passwords: new Passwords(4),
    tokens: new Tokens({
      privateKey: keys.privateKey,
      publicKey: keys.publicKey,
      ttlSec: opts.ttlSec ?? 3600,
      sessionMaxSec: opts.sessionMaxSec ?? 7 * 24 * 3600,
      ...TOKEN_SETTINGS,
    }),
    limits: new AttemptLimits(redis, userServiceKeys(iso.redisPrefix), { ...GENEROUS, ...opts.limits }, metrics),
  });
  const server = http.createServer(app);
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await closeServer(server);
      await mongo.close();
      await closeRedis(redis);
    },
  };
}

/** What the auth routes answer: a user and token, or an error (parsed loosely for assertions). */
export interface AnswerBody {
  user?: PublicUser;
  token?: string;
  error?: ErrorDetail;
  [key: string]: unknown;
}

/** fetch with a JSON body; answers status, headers and the parsed JSON body. */
export async function call(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: AnswerBody; text: string }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined || init.rawBody !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, {
    method: init.method ?? (init.body !== undefined || init.rawBody !== undefined ? 'POST' : 'GET'),
    headers,
    body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  const text = await res.text();
  let body: AnswerBody = {};
  try {
    body = JSON.parse(text) as AnswerBody;
  } catch {
    // not JSON: callers assert on `text`
  }
  return { status: res.status, headers: res.headers, body, text };
}
