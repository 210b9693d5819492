import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { RabbitManagement } from './rabbit-management.js';
import type { TestServices } from './services.js';

/**
 * One test file's private slice of the shared servers: its own MongoDB database, Redis key
 * prefix and RabbitMQ vhost, so runs and files never see each other's data.
 */
export interface Isolation {
  id: string;
  services: TestServices;
  redisUrl: string;
  /** Prefix every key and channel with this (services take it as REDIS_KEY_PREFIX). */
  redisPrefix: string;
  mongoUrl: string;
  mongoDbName: string;
  /** AMQP URL pointing at this file's own vhost. */
  amqpUrl: string;
  vhost: string;
  rabbit: RabbitManagement;
  cleanup(): Promise<void>;
}

export async function createIsolation(services: TestServices, label: string): Promise<Isolation> {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 24);
  const id = `t_${safe}_${randomBytes(4).toString('hex')}`;
  const rabbit = new RabbitManagement(services.rabbitManagementUrl);
  const amqp = new URL(services.amqpUrl);
  const user = decodeURIComponent(amqp.username || 'guest');
  await rabbit.createVhost(id, user);
  amqp.pathname = `/${encodeURIComponent(id)}`;
  const redisPrefix = `${id}:`;
  return {
    id,
    services,
    redisUrl: services.redisUrl,
    redisPrefix,
    mongoUrl: services.mongoUrl,
    mongoDbName: id,
    amqpUrl: amqp.toString(),
    vhost: id,
    rabbit,
    cleanup: async () => {
      await Promise.allSettled([
        rabbit.deleteVhost(id),
        deleteRedisPrefix(services.redisUrl, redisPrefix),
        dropMongoDb(services.mongoUrl, id),
      ]);
    },
  };
}

async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function dropMongoDb(url: string, dbName: string): Promise<void> {
  const conn = mongoose.createConnection(url, { dbName, serverSelectionTimeoutMS: 3000, retryWrites: false });
  try {
    await conn.asPromise();
    await conn.dropDatabase();
  } finally {
    await conn.close();
  }
}
