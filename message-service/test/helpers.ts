import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  CHAT_EXCHANGE,
  messageRoutingKey,
  type ErrorDetail,
  type HistoryResponse,
  type MemberQueueEvent,
  type Message,
  type RoomEvent,
} from '@chat/contracts';
import {
  closeRedis,
  closeServer,
  connectMongo,
  createLogger,
  listen,
  loadConfig,
  signToken,
  type Logger,
} from '@chat/service-kit';
import { freePort, testKeyPair, waitFor, type Isolation } from '@chat/testing';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { createApp, type MessageServiceApp } from '../src/app.js';
import { BlockSummaries } from '../src/block-summaries.js';
import { messageServiceConfigSchema, type MessageServiceConfig } from '../src/config.js';
import { messageServiceKeys } from '../src/keys.js';
import { messageModel } from '../src/message-model.js';
import { createMongoMembershipStore, type MembershipStore } from '../src/membership-store.js';
import {
  createMongoMessageStore,
  type InsertOutcome,
  type MessageStore,
  type PageQuery,
  type StoredKeys,
} from '../src/message-store.js';
import { redisWithin } from '../src/redis-timeout.js';
import { declareTopology } from '../src/topology.js';

export const log = createLogger('message-service-test', 'silent');

export function testConfig(iso: Isolation, env: Record<string, string> = {}): MessageServiceConfig {
  return loadConfig(messageServiceConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    AMQP_URL: iso.amqpUrl,
    MONGO_URL: iso.mongoUrl,
    MONGO_DB: iso.mongoDbName,
    REDIS_URL: iso.redisUrl,
    REDIS_KEY_PREFIX: iso.redisPrefix,
    JWT_PUBLIC_KEY: testKeyPair().publicKey,
    SHUTDOWN_TIMEOUT_MS: '5000',
    // The room list's state with each batch, so a test reads it once the messages are stored.
    ROOM_STATE_FLUSH_MS: '0',
    ROOM_STATE_PERSIST_MS: '0',
    ...env,
  });
}

/** What message-service's main.ts reads to use `iso`, the key on one line as in a .env file. */
export function mainEnv(iso: Isolation): Record<string, string> {
  return {
    MONGO_URL: iso.mongoUrl,
    MONGO_DB: iso.mongoDbName,
    REDIS_URL: iso.redisUrl,
    REDIS_KEY_PREFIX: iso.redisPrefix,
    AMQP_URL: iso.amqpUrl,
    JWT_PUBLIC_KEY: testKeyPair().publicKey.replace(/\n/g, '\\n'),
  };
}

export const userId = () => randomBytes(12).toString('hex');

export function tokenFor(id: string, username = `user${id.slice(0, 6)}`): string {
  return signToken(
    testKeyPair().privateKey,
    { userId: id, username, displayName: username },
    { issuer: 'chat-platform', audience: 'chat-platform', ttlSec: 600 },
  );
}

/** Messages as the `message` events that bring them. */
export function asEvents(messages: Message[]): Pick<RoomEvent, 'type' | 'message'>[] {
  return messages.map((message) => ({ type: 'message', message }));
}

export function makeMessage(fields: Partial<Message> & Pick<Message, 'roomId' | 'seq'>): Message {
  return {
    id: randomUUID(),
    senderId: fields.senderId ?? userId(),
    senderName: 'Tester',
    text: `message ${fields.seq}`,
    clientMsgId: randomUUID(),
    createdAt: new Date().toISOString(),
    ...fields,
    version: fields.version ?? fields.seq,
  };
}

/** A confirm-channel publisher into the isolation's vhost, as chat-service publishes. */
export async function createPublisher(amqpUrl: string): Promise<{
  publish(body: Message | Buffer, routingKey?: string): void;
  confirmed(): Promise<void>;
  close(): Promise<void>;
  conn: ChannelModel;
  ch: ConfirmChannel;
}> {
  const conn = await amqp.connect(amqpUrl);
  const ch = await conn.createConfirmChannel();
  await declareTopology(ch);
  return {
    conn,
    ch,
    publish(body, routingKey) {
      const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const key = routingKey ?? messageRoutingKey(Buffer.isBuffer(body) ? 'poison' : body.roomId);
      ch.publish(CHAT_EXCHANGE, key, content, { persistent: true, contentType: 'application/json' });
    },
    confirmed: () => ch.waitForConfirms(),
    close: async () => {
      await conn.close().catch(() => undefined);
    },
  };
}

export interface RunningService {
  svc: MessageServiceApp;
  url: string;
  mongo: Connection;
  redis: Redis;
  close(): Promise<void>;
}

/** createApp on real clients, listening on port 0, consumer started unless `consume: false`. */
export async function startService(
  iso: Isolation,
  opts: {
    env?: Record<string, string>;
    wrapStore?: (store: MessageStore) => MessageStore;
    wrapMembers?: (members: MembershipStore) => MembershipStore;
    mongoUrl?: string;
    redisUrl?: string;
    consume?: boolean;
  } = {},
): Promise<RunningService> {
  const config = testConfig(iso, opts.env);
  const mongo = await connectMongo({
    url: opts.mongoUrl ?? iso.mongoUrl,
    dbName: iso.mongoDbName,
    appName: 'message-service-test',
    log,
    serverSelectionTimeoutMS: 2000,
  });
  const redis = new Redis(opts.redisUrl ?? iso.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  });
  redis.on('error', () => undefined);
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const store = opts.wrapStore ? opts.wrapStore(createMongoMessageStore(mongo)) : undefined;
  const members = opts.wrapMembers ? opts.wrapMembers(createMongoMembershipStore(mongo)) : undefined;
  const svc = createApp({ config, log, mongo, redis, ...(store ? { store } : {}), ...(members ? { members } : {}) });
  const server: Server = createServer(svc.app);
  const port = await listen(server, 0, '127.0.0.1');
  if (opts.consume !== false) await svc.start();
  return {
    svc,
    url: `http://127.0.0.1:${port}`,
    mongo,
    redis,
    close: async () => {
      await svc.stop();
      await closeServer(server);
      svc.history.close();
      await closeRedis(redis);
      await mongo.close();
    },
  };
}

/** A history answer or an error body, as the tests look at it. */
export interface HistoryAnswer {
  messages: Message[];
  hasMore: boolean;
  error?: ErrorDetail;
}

export async function getHistory(
  base: string,
  roomId: string,
  query: Record<string, string | number> | string = {},
  token?: string,
): Promise<{ status: number; body: HistoryAnswer }> {
  const qs =
    typeof query === 'string'
      ? query
      : new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const res = await fetch(`${base}/messages/history/${encodeURIComponent(roomId)}${qs ? `?${qs}` : ''}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as HistoryAnswer };
}

export { freePort, waitFor };

/** A value from the service's /metrics text, e.g. `persist_messages_stored_total`. */
export async function metricValue(svc: MessageServiceApp, name: string, labels = ''): Promise<number> {
  const text = await svc.metrics.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * The MongoDB store with its reads counted, and optionally held after they have queried
 * MongoDB (a slow reader whose page is already stale when it returns).
 */
export class ObservedStore implements MessageStore {
  reads = 0;
  private held: { gate: Promise<void>; queried: () => void } | null = null;

  constructor(private readonly inner: MessageStore) {}

  ensureIndexes(): Promise<void> {
    return this.inner.ensureIndexes();
  }

  backfillSeqBlocks(log: Logger): Promise<void> {
    return this.inner.backfillSeqBlocks(log);
  }

  writeBatch(events: Pick<RoomEvent, 'type' | 'message'>[]): Promise<InsertOutcome> {
    return this.inner.writeBatch(events);
  }

  findMessage(roomId: string, messageId: string): Promise<Message | null> {
    return this.inner.findMessage(roomId, messageId);
  }

  findByUniqueKeys(messages: Message[]): Promise<StoredKeys[]> {
    return this.inner.findByUniqueKeys(messages);
  }

  moveToNewerSeq(message: Message, fromSeq: number): Promise<boolean> {
    return this.inner.moveToNewerSeq(message, fromSeq);
  }

  isAnswering(): Promise<boolean> {
    return this.inner.isAnswering();
  }

  async findPage(roomId: string, query: PageQuery): Promise<HistoryResponse> {
    this.reads += 1;
    const page = await this.inner.findPage(roomId, query);
    const held = this.held;
    if (held) {
      held.queried();
      await held.gate;
    }
    return page;
  }

  /** Hold reads after their query until `release()`; `queried` resolves when one has read MongoDB. */
  holdReads(): { queried: Promise<void>; release: () => void } {
    let release!: () => void;
    let queried!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queriedP = new Promise<void>((resolve) => (queried = resolve));
    this.held = { gate, queried };
    return {
      queried: queriedP,
      release: () => {
        this.held = null;
        release();
      },
    };
  }
}

/** Ready messages in a queue (unacked deliveries are not counted). */
export async function queueDepth(conn: ChannelModel, queue: string): Promise<number> {
  const ch = await conn.createChannel();
  try {
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await ch.close();
  }
}

export const seqsOf = (body: { messages: { seq: number }[] }) => body.messages.map((m) => m.seq);

/** Publish through the queue and wait until the consumer has stored, invalidated and acked them. */
export async function persistThroughQueue(
  service: RunningService,
  publisher: { publish(m: Message): void; confirmed(): Promise<void> },
  ...messages: Message[]
): Promise<void> {
  const before = await metricValue(service.svc, 'persist_messages_stored_total');
  for (const m of messages) publisher.publish(m);
  await publisher.confirmed();
  await waitFor(
    async () => (await metricValue(service.svc, 'persist_messages_stored_total')) === before + messages.length,
    10_000,
    'messages stored',
  );
}

/** Room events (`{v:1, type, message}`) through the queue, as chat-service publishes them; resolves once each is stored. */
export async function publishRoomEvents(
  service: RunningService,
  publisher: { publish(body: Buffer, routingKey?: string): void; confirmed(): Promise<void> },
  ...events: Pick<RoomEvent, 'type' | 'message'>[]
): Promise<void> {
  const before = await metricValue(service.svc, 'persist_messages_stored_total');
  for (const e of events)
    publisher.publish(Buffer.from(JSON.stringify({ v: 1, ...e })), messageRoutingKey(e.message.roomId));
  await publisher.confirmed();
  await waitFor(
    async () => (await metricValue(service.svc, 'persist_messages_stored_total')) === before + events.length,
    20_000,
    'room events stored',
  );
}

/** The seqs stored for a room, ascending. */
export async function storedSeqs(mongo: Connection, roomId: string): Promise<number[]> {
  const docs = await messageModel(mongo).find({ roomId }, { seq: 1 }).sort({ seq: 1 }).lean();
  return docs.map((d) => d.seq);
}

/** Membership and read events the service has written and acked, both types. */
export async function memberEventsApplied(svc: MessageServiceApp): Promise<number> {
  const text = await svc.metrics.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith('persist_member_events_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Publish membership / read envelopes as chat-service does (routing key of their room), and wait until acked. */
export async function applyThroughQueue(
  service: RunningService,
  publisher: { publish(body: Buffer, routingKey?: string): void; confirmed(): Promise<void> },
  ...events: MemberQueueEvent[]
): Promise<void> {
  const before = await memberEventsApplied(service.svc);
  for (const e of events) {
    const roomId = e.type === 'membership' ? e.membership.roomId : e.read.roomId;
    publisher.publish(Buffer.from(JSON.stringify(e)), messageRoutingKey(roomId));
  }
  await publisher.confirmed();
  await waitFor(
    async () => (await memberEventsApplied(service.svc)) === before + events.length,
    10_000,
    'member events applied',
  );
}

export const joined = (roomId: string, userId: string, at: number, displayName?: string): MemberQueueEvent => ({
  v: 1,
  type: 'membership',
  membership: { roomId, userId, member: true, at, ...(displayName ? { displayName } : {}) },
});
export const left = (roomId: string, userId: string, at: number): MemberQueueEvent => ({
  v: 1,
  type: 'membership',
  membership: { roomId, userId, member: false, at },
});
export const read = (roomId: string, userId: string, seq: number): MemberQueueEvent => ({
  v: 1,
  type: 'read',
  read: { roomId, userId, seq },
});

/** GET with a bearer token: status, body, and the Retry-After header. */
export async function getJson<T = unknown>(
  url: string,
  token?: string,
): Promise<{ status: number; body: T & { error?: ErrorDetail }; retryAfter: string | null }> {
  const res = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return {
    status: res.status,
    body: (await res.json()) as T & { error?: ErrorDetail },
    retryAfter: res.headers.get('retry-after'),
  };
}

/** Block summaries on `redis` as the room list makes them (block-summaries.ts), Redis failing or slow counting as none. */
export function blockSummaries(
  redis: Redis,
  redisPrefix: string,
  invalidationPending: (roomId: string) => boolean = () => false,
): BlockSummaries {
  return new BlockSummaries({
    redis,
    keys: messageServiceKeys(redisPrefix),
    guarded: (command) => redisWithin(500, command()).catch(() => null),
    ttlSec: 3_600,
    invalidationPending,
  });
}

/** What `run` returned, and the MongoDB commands it sent as `<collection>.<method>` (mongoose's per-connection debug hook). */
export async function mongoCommands<T>(
  mongo: Connection,
  run: () => Promise<T>,
): Promise<{ result: T; commands: string[] }> {
  const commands: string[] = [];
  mongo.set('debug', (collection: string, method: string) => commands.push(`${collection}.${method}`));
  try {
    return { result: await run(), commands };
  } finally {
    mongo.set('debug', false);
  }
}
