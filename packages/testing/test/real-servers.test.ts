import amqp from 'amqplib';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { useIsolation } from '../src/vitest.js';

const iso = useIsolation('harness');
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('the harness talks to real servers', () => {
  it('Redis: SET then GET under this file’s prefix', async () => {
    const redis = new Redis(iso().redisUrl, { keyPrefix: iso().redisPrefix });
    closers.push(() => redis.quit());
    await redis.set('greeting', 'hello');
    expect(await redis.get('greeting')).toBe('hello');
    const raw = new Redis(iso().redisUrl);
    closers.push(() => raw.quit());
    expect(await raw.get(`${iso().redisPrefix}greeting`)).toBe('hello');
  });

  it('RabbitMQ: publish on a confirm channel in this file’s vhost, then consume', async () => {
    const conn = await amqp.connect(iso().amqpUrl);
    closers.push(() => conn.close());
    const ch = await conn.createConfirmChannel();
    const { queue } = await ch.assertQueue('harness_q', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await new Promise<void>((resolve, reject) =>
      ch.sendToQueue(queue, Buffer.from('ping'), { persistent: true }, (err) => (err ? reject(err) : resolve())),
    );
    const got = await new Promise<string>((resolve) => {
      void ch.consume(queue, (msg) => {
        if (!msg) return;
        ch.ack(msg);
        resolve(msg.content.toString());
      });
    });
    expect(got).toBe('ping');
    const info = await iso().rabbit.queue(iso().vhost, 'harness_q');
    expect(info.arguments['x-queue-type']).toBe('quorum');
  });

  it('MongoDB: a unique index violation surfaces as duplicate key 11000', async () => {
    const conn = await mongoose
      .createConnection(iso().mongoUrl, { dbName: iso().mongoDbName, retryWrites: false })
      .asPromise();
    closers.push(() => conn.close());
    const Thing = conn.model('Thing', new mongoose.Schema({ key: { type: String, unique: true } }));
    await Thing.init();
    await Thing.create({ key: 'a' });
    const err = await Thing.create({ key: 'a' }).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(11000);
    expect(await Thing.countDocuments()).toBe(1);
  });
});
