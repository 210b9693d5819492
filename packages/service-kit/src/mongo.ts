import mongoose, { type Connection } from 'mongoose';
import type { Readiness } from './health.js';
import type { Logger } from './logger.js';

export interface MongoConnectOptions {
  url: string;
  /** Shown in the server's connection list, e.g. `user-service@host`. */
  appName: string;
  log: Logger;
  readiness?: Readiness;
  /** Database name, overriding the URL's (tests isolate themselves this way). */
  dbName?: string;
  serverSelectionTimeoutMS?: number;
}

/**
 * A mongoose connection (not the global one, so tests can hold several). The driver
 * reconnects by itself; we log transitions and report `readyState === connected` to /ready.
 * Resolves once the first connection is up, rejects if none within the selection timeout.
 */
export async function connectMongo(opts: MongoConnectOptions): Promise<Connection> {
  const log = opts.log.child({ mongo: opts.appName });
  const conn = mongoose.createConnection(opts.url, {
    appName: opts.appName,
    serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 10_000,
    maxPoolSize: 20,
    // Kept to what both MongoDB 7 and FerretDB serve: no retryable writes (FerretDB v1 lacks them).
    retryWrites: false,
    autoIndex: true,
    ...(opts.dbName ? { dbName: opts.dbName } : {}),
  });
  conn.on('disconnected', () => log.warn('mongo disconnected'));
  conn.on('reconnected', () => log.info('mongo reconnected'));
  conn.on('error', (err: Error) => log.warn({ err: err.message }, 'mongo error'));
  opts.readiness?.register('mongo', () => conn.readyState === mongoose.ConnectionStates.connected);
  await conn.asPromise();
  log.info('mongo connected');
  return conn;
}

/** MongoDB's duplicate-key error code (unique index violation). */
export const DUPLICATE_KEY = 11000;

export function isDuplicateKeyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === DUPLICATE_KEY;
}
