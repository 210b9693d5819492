import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  CHAT_EXCHANGE,
  MESSAGE_ROUTING_PATTERN,
  membershipQueueEventSchema,
  parseQueuedEvent,
  readQueueEventSchema,
  SOCKET_PATH,
  type ClientToServerEvents,
  type JoinRoomOk,
  type Message,
  type MembershipQueueEvent,
  type ReadQueueEvent,
  type RoomEvent,
  type SendMessageAck,
  type ServerToClientEvents,
} from '@chat/contracts';
import { createLogger, listen, loadConfig, signToken, type Identity } from '@chat/service-kit';
import { freePort, testKeyPair, useIsolation, waitFor, type Isolation } from '@chat/testing';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { io as connectClient, type Socket } from 'socket.io-client';
import { chatConfigSchema, type ChatConfig } from '../src/config.js';
import type { HistoryClient } from '../src/adapters/history-client.js';
import { createHttpHistoryClient } from '../src/adapters/history-client_http.js';
import { createChatService, type ChatService } from '../src/service.js';

export const ALLOWED_ORIGIN = 'http://chat.test';
export const log = createLogger('chat-service-test', (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent');

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function testConfig(iso: Isolation, env: Record<string, string> = {}): ChatConfig {
  return loadConfig(chatConfigSchema, {
    NODE_ENV: 'test',
    JWT_PUBLIC_KEY: testKeyPair().publicKey,
    REDIS_URL: iso.redisUrl,
    REDIS_KEY_PREFIX: iso.redisPrefix,
    AMQP_URL: iso.amqpUrl,
    ALLOWED_ORIGINS: ALLOWED_ORIGIN,
    // No message-service unless a test starts one (and passes its history): reads fail fast.
    MESSAGE_SERVICE_URL: 'http://127.0.0.1:9',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...env,
  });
}

export interface ChatNode extends ChatService {
  url: string;
}

/**
 * One chat-service node in-process on port 0 with its own Redis clients, adapter and AMQP
 * connection; history is MESSAGE_SERVICE_URL over HTTP unless given (e.g. a message-service
 * started later, whose URL is resolved on each call).
 */
export async function startChatNode(
  iso: Isolation,
  opts: { env?: Record<string, string>; history?: HistoryClient } = {},
): Promise<ChatNode> {
  const service = createChatService(testConfig(iso, opts.env), log, {
    ...(opts.history ? { history: opts.history } : {}),
    processMetrics: false,
  });
  await service.infra.publisher.start();
  const port = await listen(service.app.server, 0, '127.0.0.1');
  let closed: Promise<void> | undefined;
  return { ...service, url: `http://127.0.0.1:${port}`, close: () => (closed ??= service.close()) };
}

/** message-service's history over HTTP at `url()`, read on each call (a service started after the nodes). */
export function historyAt(url: () => string): HistoryClient {
  const client = () => createHttpHistoryClient(url(), 3000);
  return {
    page: (roomId, query, token) => client().page(roomId, query, token),
    message: (roomId, messageId, token) => client().message(roomId, messageId, token),
    rooms: (token) => client().rooms(token),
  };
}

export interface ChatCluster {
  iso: () => Isolation;
  nodes: () => ChatNode[];
  /** The base URL of node `i`. */
  url: (i?: number) => string;
  sink: () => Sink;
}

/**
 * A test file's chat-service nodes on its own isolation, with a sink queue bound to the
 * exchange (publishes are mandatory: unroutable ones would come back UNAVAILABLE). Clients
 * opened with connect() are closed after each test; nodes and sink after the file. `env` and
 * `history` are read when the nodes start (after earlier-registered beforeAll hooks).
 */
export function useChatCluster(
  label: string,
  opts: {
    nodes?: number;
    env?: () => Record<string, string>;
    history?: () => HistoryClient;
    onPublished?: (m: Message) => void;
  } = {},
): ChatCluster {
  const iso = useIsolation(label);
  let nodes: ChatNode[] = [];
  let sink: Sink | undefined;
  beforeAll(async () => {
    sink = await bindSink(iso().amqpUrl, opts.onPublished);
    const nodeOpts = { env: opts.env?.(), history: opts.history?.() };
    nodes = await Promise.all(Array.from({ length: opts.nodes ?? 1 }, () => startChatNode(iso(), nodeOpts)));
  });
  afterEach(() => closeClients());
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await sink?.close();
  });
  return {
    iso,
    nodes: () => nodes,
    url: (i = 0) => nodes[i]!.url,
    sink: () => sink!,
  };
}

export const newUserId = () => randomBytes(12).toString('hex');

export function userFor(id = newUserId(), name = `user-${id.slice(0, 6)}`): Identity {
  return { userId: id, username: name, displayName: name };
}

export function tokenFor(
  user: Identity,
  opts: { ttlSec?: number; privateKey?: string; audience?: string } = {},
): string {
  return signToken(opts.privateKey ?? testKeyPair().privateKey, user, {
    issuer: 'chat-platform',
    audience: opts.audience ?? 'chat-platform',
    ttlSec: opts.ttlSec ?? 600,
  });
}

const openClients = new Set<ClientSocket>();

/** A real Socket.IO client (WebSocket transport unless given), connected or rejected. */
export function connect(
  url: string,
  token: string | undefined,
  opts: { transports?: string[]; origin?: string } = {},
): ClientSocket {
  const socket: ClientSocket = connectClient(url, {
    path: SOCKET_PATH,
    auth: token === undefined ? {} : { token },
    transports: opts.transports ?? ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(opts.origin ? { extraHeaders: { origin: opts.origin } } : {}),
  });
  openClients.add(socket);
  return socket;
}

export async function connected(socket: ClientSocket): Promise<ClientSocket> {
  if (socket.connected) return socket;
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

export function connectError(socket: ClientSocket): Promise<Error> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected, expected connect_error')));
    socket.once('connect_error', resolve);
  });
}

export function closeClients(): void {
  for (const s of openClients) s.disconnect();
  openClients.clear();
}

/** Emit with any payload (the typed client forbids malformed ones) and await the ack. */
export function emitRaw(socket: ClientSocket, event: string, ...args: unknown[]): Promise<unknown> {
  const untyped = socket as unknown as {
    timeout(ms: number): { emitWithAck(ev: string, ...a: unknown[]): Promise<unknown> };
  };
  return untyped.timeout(10_000).emitWithAck(event, ...args);
}

export function send(
  socket: ClientSocket,
  roomId: string,
  text: string,
  clientMsgId: string = randomUUID(),
): Promise<SendMessageAck> {
  return socket.timeout(10_000).emitWithAck('sendMessage', { roomId, clientMsgId, text });
}

/** Send `n` messages one after another (round robin over `sockets`); every ack must be ok. */
export async function sendMany(sockets: ClientSocket[], roomId: string, n: number): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < n; i++) {
    const ack = await send(sockets[i % sockets.length]!, roomId, `${roomId} ${i}`);
    if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
    out.push(ack.message);
  }
  return out;
}

/** A valid Message for backends tested without a socket. */
export function fakeMessage(roomId: string, seq: number): Message {
  return {
    id: randomUUID(),
    roomId,
    seq,
    version: seq,
    senderId: 'a'.repeat(24),
    senderName: 'A',
    text: `m${seq}`,
    clientMsgId: `c${seq}`,
    createdAt: new Date().toISOString(),
  };
}

export async function join(socket: ClientSocket, roomId: string, sinceSeq?: number): Promise<JoinRoomOk> {
  const ack = await socket
    .timeout(10_000)
    .emitWithAck('joinRoom', sinceSeq === undefined ? { roomId } : { roomId, sinceSeq });
  if (!ack.ok) throw new Error(`join ${roomId} failed: ${ack.error.code} ${ack.error.message}`);
  return ack;
}

/** Everything `receiveMessage` delivers to this socket, in arrival order. */
export function collectReceived(socket: ClientSocket): Message[] {
  const got: Message[] = [];
  socket.on('receiveMessage', (m) => got.push(m));
  return got;
}

export { freePort, waitFor };

export interface Sink {
  /** The message of every event the broker routed to the sink, in arrival order. */
  messages: Message[];
  /** Every event (envelope) the broker routed to the sink, in arrival order. */
  events: RoomEvent[];
  /** Every membership change and moved read marker the broker routed to the sink, in arrival order. */
  memberships: MembershipQueueEvent['membership'][];
  reads: ReadQueueEvent['read'][];
  /** Remove / restore the binding (publishes then come back unroutable / route again). */
  unbind(): Promise<void>;
  rebind(): Promise<void>;
  close(): Promise<void>;
}

/** A queue bound to chat_exchange for every room: what the broker really got. */
export async function bindSink(amqpUrl: string, onMessage?: (m: Message) => void): Promise<Sink> {
  const conn = await amqp.connect(amqpUrl);
  const ch = await conn.createChannel();
  await ch.assertExchange(CHAT_EXCHANGE, 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, CHAT_EXCHANGE, MESSAGE_ROUTING_PATTERN);
  const messages: Message[] = [];
  const events: RoomEvent[] = [];
  const memberships: MembershipQueueEvent['membership'][] = [];
  const reads: ReadQueueEvent['read'][] = [];
  await ch.consume(
    queue,
    (msg) => {
      if (!msg) return;
      const body: unknown = JSON.parse(msg.content.toString());
      const membership = membershipQueueEventSchema.safeParse(body);
      if (membership.success) return void memberships.push(membership.data.membership);
      const read = readQueueEventSchema.safeParse(body);
      if (read.success) return void reads.push(read.data.read);
      const parsed = parseQueuedEvent(body);
      if (!parsed.success) throw parsed.error;
      const event = parsed.data;
      events.push(event);
      messages.push(event.message);
      onMessage?.(event.message);
    },
    { noAck: true },
  );
  return {
    messages,
    events,
    memberships,
    reads,
    unbind: async () => void (await ch.unbindQueue(queue, CHAT_EXCHANGE, MESSAGE_ROUTING_PATTERN)),
    rebind: async () => void (await ch.bindQueue(queue, CHAT_EXCHANGE, MESSAGE_ROUTING_PATTERN)),
    close: () => conn.close().catch(() => undefined),
  };
}

export interface PrivateRedis {
  url: string;
  /** Its run_id now (a new one after each restart). */
  runId(): Promise<string>;
  /** A client of its own (flushes, checks); reconnects by itself after a restart. */
  client: Redis;
  /** Kill the server (SIGKILL: nothing is saved on the way out). */
  kill(): Promise<void>;
  /** Start the server again on the same port: empty, or from the last SAVE if the test made one. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private redis-server that a test may flush, kill and restart. It saves nothing by itself;
 * a restart after an explicit SAVE loads that snapshot (older data: a rollback). Its files
 * (snapshots, a replica's full sync) go to a directory of its own, removed at stop.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chat-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined); // refused while the server is down; callers wait for PONG
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    });
    await waitFor(async () => (await client.ping().catch(() => null)) === 'PONG', 5000, 'private redis');
  };
  const kill = async () => {
    const running = proc;
    proc = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    client,
    runId: async () => /^run_id:(\w+)/m.exec(await client.info('server'))![1]!,
    kill,
    restart: start,
    stop: async () => {
      client.disconnect();
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP proxy to `target` whose server→client direction can be frozen: what the client sends
 * still arrives, the answers (e.g. publisher confirms) are held until thawed.
 */
export async function startFreezableProxy(target: { host: string; port: number }): Promise<{
  port: number;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let frozen = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    if (!frozen) upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => {
      frozen = true;
      for (const { client, upstream } of pairs) upstream.unpipe(client).pause();
    },
    thaw: () => {
      frozen = false;
      for (const { client, upstream } of pairs) upstream.pipe(client);
    },
    close: async () => {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
