import { randomUUID } from 'node:crypto';
import {
  CHAT_EXCHANGE,
  CHAT_EXCHANGE_TYPE,
  MESSAGE_PERSIST_DLQ,
  MESSAGE_PERSIST_DLQ_ARGS,
  MESSAGE_PERSIST_DLX,
  MESSAGE_PERSIST_DLX_TYPE,
  MESSAGE_PERSIST_QUEUE,
  MESSAGE_PERSIST_QUEUE_ARGS,
  MESSAGE_ROUTING_PATTERN,
  messageRoutingKey,
} from '@chat/contracts';
import { createLogger } from '@chat/service-kit';
import { useIsolation } from '@chat/testing';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpPublisher } from '../../chat-service/src/adapters/publisher_amqp.js';
import { declareTopology } from '../../message-service/src/topology.js';
import {
  amqpUrlAs,
  deleteUsers,
  importDefinitions,
  isolatedDefinitions,
  readDefinitions,
  setPassword,
  type Permission,
} from './broker-definitions.js';

const VHOST = 'chat';
const SERVICES = ['chat-service', 'message-service'] as const;
const NOTHING = '^$';
const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A permission regex matching exactly these resource names. */
const exactly = (...names: string[]) => `^(${names.map(escape).join('|')})$`;

/**
 * The topology and grants the code needs, built from the contracts' constants: the one source
 * of truth that definitions.json must agree with.
 */
const expected = {
  exchanges: [
    { name: CHAT_EXCHANGE, type: CHAT_EXCHANGE_TYPE },
    { name: MESSAGE_PERSIST_DLX, type: MESSAGE_PERSIST_DLX_TYPE },
  ].map((e) => ({ ...e, vhost: VHOST, durable: true, auto_delete: false, internal: false, arguments: {} })),
  queues: [
    { name: MESSAGE_PERSIST_QUEUE, arguments: MESSAGE_PERSIST_QUEUE_ARGS },
    { name: MESSAGE_PERSIST_DLQ, arguments: MESSAGE_PERSIST_DLQ_ARGS },
  ].map((q) => ({ ...q, vhost: VHOST, durable: true, auto_delete: false })),
  bindings: [
    { source: CHAT_EXCHANGE, destination: MESSAGE_PERSIST_QUEUE, routing_key: MESSAGE_ROUTING_PATTERN },
    {
      source: MESSAGE_PERSIST_DLX,
      destination: MESSAGE_PERSIST_DLQ,
      routing_key: MESSAGE_PERSIST_QUEUE_ARGS['x-dead-letter-routing-key'],
    },
  ].map((b) => ({ ...b, vhost: VHOST, destination_type: 'queue', arguments: {} })),
  permissions: [
    { user: 'admin', configure: '.*', write: '.*', read: '.*' },
    // Publishes only; declares the exchange it publishes to (idempotent, at every connect).
    { user: 'chat-service', configure: exactly(CHAT_EXCHANGE), write: exactly(CHAT_EXCHANGE), read: NOTHING },
    // Declares and binds the persist path, consumes its queues, publishes poison messages to the DLX.
    {
      user: 'message-service',
      configure: exactly(CHAT_EXCHANGE, MESSAGE_PERSIST_QUEUE, MESSAGE_PERSIST_DLX, MESSAGE_PERSIST_DLQ),
      write: exactly(MESSAGE_PERSIST_QUEUE, MESSAGE_PERSIST_DLX, MESSAGE_PERSIST_DLQ),
      read: exactly(CHAT_EXCHANGE, MESSAGE_PERSIST_QUEUE, MESSAGE_PERSIST_DLX, MESSAGE_PERSIST_DLQ),
    },
  ].map((p): Permission => ({ ...p, vhost: VHOST })),
};

const byName = <T extends { name: string }>(items: T[]) => [...items].sort((a, b) => a.name.localeCompare(b.name));
const bySource = <T extends { source: string }>(items: T[]) =>
  [...items].sort((a, b) => a.source.localeCompare(b.source));
const byUser = <T extends { user: string }>(items: T[]) => [...items].sort((a, b) => a.user.localeCompare(b.user));

describe('deploy/rabbitmq/definitions.json against the contracts', () => {
  const defs = readDefinitions();

  it('declares exactly the exchanges, queues (with their arguments) and bindings the code uses', () => {
    expect(byName(defs.exchanges)).toEqual(byName(expected.exchanges));
    expect(byName(defs.queues)).toEqual(byName(expected.queues));
    expect(bySource(defs.bindings)).toEqual(bySource(expected.bindings));
    expect(defs.vhosts).toEqual([{ name: VHOST }]);
  });

  it('gives each service only what it uses, on the one vhost', () => {
    expect(byUser(defs.permissions)).toEqual(byUser(expected.permissions));
  });

  it('carries no credentials; service users cannot open the management UI', () => {
    for (const u of defs.users) expect(u.password_hash, u.name).toBe('');
    expect(byName(defs.users).map((u) => [u.name, u.tags])).toEqual([
      ['admin', ['administrator']],
      ['chat-service', []],
      ['message-service', []],
    ]);
  });

  it('permission patterns match their resource names and nothing near them', () => {
    const chat = defs.permissions.find((p) => p.user === 'chat-service')!;
    const msg = defs.permissions.find((p) => p.user === 'message-service')!;
    expect(new RegExp(chat.write).test(CHAT_EXCHANGE)).toBe(true);
    expect(new RegExp(chat.write).test(MESSAGE_PERSIST_DLX)).toBe(false);
    expect(new RegExp(chat.write).test(`${CHAT_EXCHANGE}2`)).toBe(false);
    expect(new RegExp(msg.read).test(MESSAGE_PERSIST_DLQ)).toBe(true);
    // The dots in the names are literal.
    expect(new RegExp(msg.read).test(MESSAGE_PERSIST_DLQ.replace('.', 'x'))).toBe(false);
    expect(new RegExp(msg.write).test(CHAT_EXCHANGE)).toBe(false);
  });
});

describe('the definitions on a real broker, used by the services’ own code', () => {
  const iso = useIsolation('rabbit-definitions');
  const log = createLogger('deploy-test', 'silent');
  const password = { 'chat-service': randomUUID(), 'message-service': randomUUID() };
  let user: (name: string) => string;
  let loginBeforePassword: unknown;
  const connections: ChannelModel[] = [];

  const connectAs = async (service: (typeof SERVICES)[number]) => {
    const conn = await amqp.connect(amqpUrlAs(iso(), user(service), password[service]));
    conn.on('error', () => undefined);
    connections.push(conn);
    return conn;
  };

  /** Runs `op` on a fresh channel and resolves with the AMQP error code that closed it. */
  const refusal = async (conn: ChannelModel, op: (ch: Channel) => Promise<unknown> | unknown) => {
    const ch = await conn.createConfirmChannel();
    const closed = new Promise<number | undefined>((resolve) => {
      ch.on('error', (err: { code?: number }) => resolve(err.code));
      ch.on('close', () => resolve(undefined));
    });
    await Promise.resolve()
      .then(() => op(ch))
      .catch(() => undefined);
    return closed;
  };

  beforeAll(async () => {
    const isolated = isolatedDefinitions(iso());
    user = isolated.user;
    await importDefinitions(iso(), isolated.definitions);
    loginBeforePassword = await amqp
      .connect(amqpUrlAs(iso(), user('chat-service'), password['chat-service']))
      .then(async (c) => {
        await c.close();
        return 'logged in';
      })
      .catch((err: Error) => err.message);
    for (const s of SERVICES) await setPassword(iso(), user(s), password[s], []);
  });

  afterAll(async () => {
    await Promise.allSettled(connections.map((c) => c.close()));
    await deleteUsers(
      iso(),
      ['admin', ...SERVICES].map((s) => user(s)),
    );
  });

  it('imports, and its users cannot log in until their password is set', () => {
    expect(loginBeforePassword).toMatch(/ACCESS.REFUSED|403/);
  });

  it("message-service's own topology declaration agrees with the definitions, as its user", async () => {
    const ch = await (await connectAs('message-service')).createChannel();
    // PRECONDITION_FAILED here: the code declares an object differently from the definitions
    // (e.g. a queue without its contracts arguments); ACCESS_REFUSED: it needs a grant they lack.
    await declareTopology(ch);
    for (const queue of [MESSAGE_PERSIST_QUEUE, MESSAGE_PERSIST_DLQ]) {
      const { consumerTag } = await ch.consume(queue, () => undefined);
      await ch.cancel(consumerTag);
    }
    await ch.close();
  });

  it("chat-service's publisher gets confirmed, routed publishes as its user", async () => {
    const publisher = new AmqpPublisher({
      url: amqpUrlAs(iso(), user('chat-service'), password['chat-service']),
      name: 'chat-service@deploy-test',
      log,
      confirmTimeoutMs: 5000,
    });
    try {
      await publisher.start();
      await publisher.publish('general', 'm-1', Buffer.from('{"probe":1}'));
    } finally {
      await publisher.close();
    }
    const ch = await (await connectAs('message-service')).createChannel();
    const got = await ch.get(MESSAGE_PERSIST_QUEUE, { noAck: true });
    expect(got && got.fields.routingKey).toBe(messageRoutingKey('general'));
    await ch.close();
  });

  it('chat-service may publish to chat_exchange and do nothing else', async () => {
    const conn = await connectAs('chat-service');
    expect(await refusal(conn, (ch) => ch.assertQueue('anything', { durable: true }))).toBe(403);
    expect(await refusal(conn, (ch) => ch.consume(MESSAGE_PERSIST_QUEUE, () => undefined))).toBe(403);
    expect(await refusal(conn, (ch) => ch.publish(MESSAGE_PERSIST_DLX, MESSAGE_PERSIST_DLQ, Buffer.from('x')))).toBe(
      403,
    );
    expect(await refusal(conn, (ch) => ch.assertExchange('other_exchange', 'topic'))).toBe(403);
  });

  it('message-service may consume its queues but not publish chat messages or declare others', async () => {
    const conn = await connectAs('message-service');
    expect(await refusal(conn, (ch) => ch.publish(CHAT_EXCHANGE, messageRoutingKey('general'), Buffer.from('x')))).toBe(
      403,
    );
    expect(await refusal(conn, (ch) => ch.assertQueue('anything', { durable: true }))).toBe(403);
  });
});
