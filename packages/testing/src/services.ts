import net from 'node:net';

/** URLs of the real servers a test run talks to (DESIGN.md §6). */
export interface TestServices {
  redisUrl: string;
  amqpUrl: string;
  /** RabbitMQ management API base, with credentials, e.g. `http://guest:guest@127.0.0.1:15672`. */
  rabbitManagementUrl: string;
  mongoUrl: string;
  /** Where the URLs came from, for the log line. */
  source: 'env' | 'testcontainers';
}

type Need = 'redis' | 'rabbitmq' | 'mongo';

const ENV_BY_NEED: Record<Need, string> = { redis: 'REDIS_URL', rabbitmq: 'AMQP_URL', mongo: 'MONGO_URL' };

/** The clear failure: what is missing and how to start it. */
export class MissingServicesError extends Error {
  constructor(missing: string[]) {
    super(
      `Test services unavailable: ${missing.join('; ')}. ` +
        'Start them with `npm run services:up` (no Docker needed) and set REDIS_URL, AMQP_URL, MONGO_URL, ' +
        'or run `npm test`, which does both; with a Docker engine running, testcontainers starts them.',
    );
    this.name = 'MissingServicesError';
  }
}

export interface ResolveDeps {
  env: NodeJS.ProcessEnv;
  dockerAvailable: () => Promise<boolean>;
  reachable: (url: string) => Promise<boolean>;
  startContainers: (needs: Need[]) => Promise<Partial<TestServices>>;
}

/**
 * Env URLs first; else containers when a Docker engine answers; else MissingServicesError
 * naming each missing server. Env URLs that do not answer fail the same way, at once.
 */
export async function resolveServices(deps: ResolveDeps): Promise<TestServices> {
  const fromEnv: Partial<Record<Need, string>> = {};
  const unset: Need[] = [];
  for (const need of Object.keys(ENV_BY_NEED) as Need[]) {
    const v = deps.env[ENV_BY_NEED[need]];
    if (v) fromEnv[need] = v;
    else unset.push(need);
  }
  const down: string[] = [];
  await Promise.all(
    (Object.entries(fromEnv) as [Need, string][]).map(async ([need, url]) => {
      if (!(await deps.reachable(url))) down.push(`${need} at ${ENV_BY_NEED[need]}=${redact(url)} does not answer`);
    }),
  );
  let started: Partial<TestServices> = {};
  if (unset.length > 0) {
    if (await deps.dockerAvailable()) {
      started = await deps.startContainers(unset);
    } else {
      down.push(...unset.map((n) => `${n} (${ENV_BY_NEED[n]} unset and no Docker engine answers)`));
    }
  }
  if (down.length > 0) throw new MissingServicesError(down.sort());
  const amqpUrl = fromEnv.rabbitmq ?? started.amqpUrl!;
  return {
    redisUrl: fromEnv.redis ?? started.redisUrl!,
    amqpUrl,
    mongoUrl: fromEnv.mongo ?? started.mongoUrl!,
    rabbitManagementUrl:
      deps.env.RABBITMQ_MANAGEMENT_URL ?? started.rabbitManagementUrl ?? defaultManagementUrl(amqpUrl),
    source: unset.length > 0 ? 'testcontainers' : 'env',
  };
}

/** The management API on the broker's host, port 15672, with the AMQP credentials. */
export function defaultManagementUrl(amqpUrl: string): string {
  const u = new URL(amqpUrl);
  const user = decodeURIComponent(u.username || 'guest');
  const pass = decodeURIComponent(u.password || 'guest');
  return `http://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@${u.hostname}:15672`;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<malformed>';
  }
}

/** TCP connect to the URL's host and port within `timeoutMs`. */
export function tcpReachable(url: string, timeoutMs = 1500): Promise<boolean> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '');
    const defaults: Record<string, number> = { 'redis:': 6379, 'amqp:': 5672, 'mongodb:': 27017, 'http:': 80 };
    port = Number(u.port) || defaults[u.protocol] || 0;
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
