import { Redis, type RedisOptions } from 'ioredis';
import { backoffDelay } from './backoff.js';
import type { Readiness } from './health.js';
import type { Logger } from './logger.js';

export interface RedisConnectOptions {
  url: string;
  /** Shown by `CLIENT LIST`, e.g. `chat-service@host:pub`. */
  name: string;
  log: Logger;
  readiness?: Readiness;
  /** The readiness check's name; defaults to `redis`. Omit readiness for auxiliary clients. */
  readinessName?: string;
  options?: RedisOptions;
}

/**
 * An ioredis client that reconnects forever with jittered backoff, names its connection,
 * logs state changes once each, and reports `status === 'ready'` to /ready.
 */
export function createRedis(opts: RedisConnectOptions): Redis {
  const client = new Redis(opts.url, {
    connectionName: opts.name,
    retryStrategy: (times) => backoffDelay(times, 50, 5_000),
    maxRetriesPerRequest: 3,
    ...opts.options,
  });
  const log = opts.log.child({ redis: opts.name });
  let wasReady = false;
  client.on('ready', () => {
    wasReady = true;
    log.info('redis ready');
  });
  client.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
  client.on('end', () => log.info('redis connection ended'));
  client.on('reconnecting', () => {
    if (wasReady) log.warn('redis reconnecting');
    wasReady = false;
  });
  opts.readiness?.register(opts.readinessName ?? 'redis', () => client.status === 'ready');
  return client;
}

/** Quit politely, or disconnect if the server is gone. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('quit timeout')), 1000)),
    ]);
  } catch {
    client.disconnect();
  }
}
