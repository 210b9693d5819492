import type { Server as HttpServer } from 'node:http';
import { SOCKET_PATH, TYPING_INTERVAL_MS, TYPING_TIMEOUT_MS, type ClientToServerEvents } from '@chat/contracts';
import type { Logger, Readiness, VerifyToken } from '@chat/service-kit';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { Server } from 'socket.io';
import { ackWith, type EventHandler } from './socket/ack.js';
import { createRedisAdmission } from './adapters/admission_redis.js';
import { allowRequest } from './socket/allow-request.js';
import { authMiddleware } from './socket/auth-middleware.js';
import type { ChatConfig } from './config.js';
import { createConnectionGuards, type ConnectionSettings } from './socket/connections.js';
import type { HistoryClient } from './adapters/history-client.js';
import { InFlight } from './socket/in-flight.js';
import { chatKeys } from './adapters/keys.js';
import { createCallSignals } from './rooms/call-signals.js';
import { createMemberships } from './rooms/memberships.js';
import { createMessageHandlers, type MessageHandlers } from './rooms/message-handlers.js';
import { createReadMarkers } from './rooms/read-markers.js';
import { createRedisMembershipStore } from './adapters/memberships_redis.js';
import { memberRoomsMiddleware } from './socket/member-rooms-middleware.js';
import { createRedisMessageLock } from './adapters/message-lock_redis.js';
import { createMessageStates } from './rooms/message-states.js';
import { createRedisAttachmentResolver } from './adapters/attachments_redis.js';
import { createChatMetrics } from './metrics.js';
import type { MessagePublisher } from './adapters/publisher.js';
import { RefusalLog } from './socket/refusal-log.js';
import { createRedisPresence } from './adapters/presence_redis.js';
import { createRedisRecentBuffer } from './adapters/recent-buffer_redis.js';
import { createRedisTypingGate } from './adapters/typing-gate_redis.js';
import { createRoomEventHandlers } from './rooms/room-events.js';
import { createRoomHandlers } from './rooms/room-handlers.js';
import { trackRoomPresence } from './rooms/room-presence.js';
import { createTyping } from './rooms/typing.js';
import type { ChatServer } from './socket/socket-types.js';
import { joinUserRoom } from './socket/user-room.js';
import { createWindowLimit } from './adapters/window-limit.js';

/** Largest Socket.IO frame; a 4000-character message is far below, anything bigger disconnects. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Longest wait for clients' transports to flush and close during shutdown. */
const TRANSPORT_CLOSE_WAIT_MS = 2000;

/** Longest wait at shutdown for background retries of buffer and dedupe writes (Redis may be down). */
const RECORD_RETRIES_WAIT_MS = 5000;

export type ChatSettings = Pick<
  ChatConfig,
  | 'REDIS_KEY_PREFIX'
  | 'ALLOWED_ORIGINS'
  | 'SEND_RATE_LIMIT_PER_MIN'
  | 'CONFIRM_TIMEOUT_MS'
  | 'RECENT_BUFFER_SIZE'
  | 'DEDUPE_TTL_SEC'
  | 'RECONNECT_HINT_MS'
  | 'CALL_SIGNAL_RATE_LIMIT'
  | 'CALL_SIGNAL_RATE_WINDOW_SEC'
  | 'CALL_RING_TIMEOUT_MS'
  | 'ICE_SERVERS'
  | 'INTERNAL_API_TOKEN'
  | 'INTERNAL_PUBLISH_RATE_LIMIT_PER_MIN'
  | 'RESYNC_PERSISTENCE_WAIT_MS'
  | 'MEMBER_ROOMS_MAX'
  | 'DIRECT_OPEN_RATE_LIMIT'
  | 'DIRECT_OPEN_RATE_WINDOW_SEC'
  | 'PRESENCE_TTL_SEC'
  | 'PRESENCE_SWEEP_INTERVAL_MS'
  | 'PRESENCE_OFFLINE_GRACE_MS'
> &
  ConnectionSettings;

export interface ChatDeps {
  config: ChatSettings;
  log: Logger;
  readiness: Readiness;
  metrics: Registry;
  verifyToken: VerifyToken;
  /**
   * Everything but the send path: leases, memberships, presence, typing, message locks,
   * attachments, limits (auto-pipelined, infrastructure.ts).
   */
  redis: Redis;
  /** The send path's commands: sequences, send budgets, dedupe records, recent buffers. */
  sendRedis: Redis;
  /** The Socket.IO adapter's publishing and subscribing connections. */
  adapterPub: Redis;
  adapterSub: Redis;
  publisher: MessagePublisher;
  history: HistoryClient;
}

export interface ChatApplication {
  io: ChatServer;
  /** The send path, also taken by the internal publish API. */
  messages: MessageHandlers;
  /** Graceful stop: refuse new work, finish every event and its ack, tell clients, close their transports and the server. */
  close(): Promise<void>;
}

/** The Socket.IO composition root: wires the concerns and handlers onto `httpServer`. */
export function createApplication(httpServer: HttpServer, deps: ChatDeps): ChatApplication {
  const { config, log } = deps;
  const keys = chatKeys(config.REDIS_KEY_PREFIX);
  const metrics = createChatMetrics(deps.metrics);
  const inFlight = new InFlight();
  let draining = false;
  const isDraining = () => draining;

  const io: ChatServer = new Server(httpServer, {
    path: SOCKET_PATH,
    serveClient: false,
    maxHttpBufferSize: MAX_FRAME_BYTES,
    allowRequest: allowRequest(config.ALLOWED_ORIGINS, isDraining),
    cors: { origin: config.ALLOWED_ORIGINS },
    adapter: createAdapter(deps.adapterPub, deps.adapterSub, { key: keys.adapter }),
  });
  io.use(authMiddleware(deps.verifyToken));
  // Connection layer: sockets per user, token lifetime, output bound, per-socket event limits.
  const refusals = new RefusalLog(log);
  const ack = ackWith({ log, refusals, inFlight, ackSeconds: metrics.ackSeconds });
  const guards = createConnectionGuards({
    io,
    redis: deps.redis,
    config,
    verifyToken: deps.verifyToken,
    metrics,
    refusals,
    log,
  });
  io.use(guards.middleware);

  const membershipStore = createRedisMembershipStore(deps.redis, keys);
  const memberships = createMemberships({
    io,
    store: membershipStore,
    publisher: deps.publisher,
    history: deps.history,
    memberRoomsMax: config.MEMBER_ROOMS_MAX,
    directOpens: createWindowLimit(deps.redis, config.DIRECT_OPEN_RATE_LIMIT, config.DIRECT_OPEN_RATE_WINDOW_SEC),
    directOpenKey: keys.directOpenRate,
  });
  io.use(memberRoomsMiddleware(memberships, refusals));
  const admission = createRedisAdmission({
    redis: deps.sendRedis,
    keys,
    ratePerMinute: config.SEND_RATE_LIMIT_PER_MIN,
    dedupeTtlSec: config.DEDUPE_TTL_SEC,
    pendingTtlSec: Math.ceil(config.CONFIRM_TIMEOUT_MS / 1000) * 2 + 10,
  });
  const recent = createRedisRecentBuffer({
    redis: deps.sendRedis,
    keys,
    size: config.RECENT_BUFFER_SIZE,
    recordTtlSec: config.DEDUPE_TTL_SEC,
  });
  const states = createMessageStates(recent, deps.history);
  const rooms = createRoomHandlers({
    admission,
    recent,
    history: deps.history,
    log,
    persistenceWaitMs: config.RESYNC_PERSISTENCE_WAIT_MS,
    memberships,
  });
  const readMarkers = createReadMarkers({
    io,
    store: membershipStore,
    admission,
    publisher: deps.publisher,
    log,
  });
  const messages = createMessageHandlers({
    io,
    admission,
    recent,
    states,
    publisher: deps.publisher,
    memberships,
    attachments: createRedisAttachmentResolver(deps.redis, config.REDIS_KEY_PREFIX),
    metrics,
    log,
    isDraining,
    confirmTimeoutMs: config.CONFIRM_TIMEOUT_MS,
  });
  const roomEvents = createRoomEventHandlers({
    io,
    keys,
    admission,
    recent,
    states,
    lock: createRedisMessageLock({
      redis: deps.redis,
      keys,
      // Outlives the longest change (a publish confirm) of a node that dies holding it.
      holdMs: config.CONFIRM_TIMEOUT_MS * 2 + 10_000,
      waitMs: config.CONFIRM_TIMEOUT_MS + 1000,
    }),
    publisher: deps.publisher,
    metrics,
    log,
    isDraining,
  });

  const calls = createCallSignals({
    io,
    keys,
    limit: createWindowLimit(deps.redis, config.CALL_SIGNAL_RATE_LIMIT, config.CALL_SIGNAL_RATE_WINDOW_SEC),
  });
  const presenceTtlMs = config.PRESENCE_TTL_SEC * 1000;
  const presence = trackRoomPresence({
    io,
    presence: createRedisPresence({
      redis: deps.redis,
      keys,
      prefix: config.REDIS_KEY_PREFIX,
      ttlMs: presenceTtlMs,
      graceMs: config.PRESENCE_OFFLINE_GRACE_MS,
    }),
    log,
    heartbeatMs: presenceTtlMs / 3,
    sweepIntervalMs: config.PRESENCE_SWEEP_INTERVAL_MS,
  });
  const typing = createTyping({
    io,
    gate: createRedisTypingGate({
      redis: deps.redis,
      keys,
      intervalMs: TYPING_INTERVAL_MS,
      shownMs: TYPING_TIMEOUT_MS,
    }),
  });
  const callConfig = { iceServers: config.ICE_SERVERS, ringTimeoutMs: config.CALL_RING_TIMEOUT_MS };

  io.on('connection', (socket) => {
    metrics.connectedSockets.inc();
    socket.on('disconnect', () => metrics.connectedSockets.dec());
    const limits = guards.attach(socket);
    joinUserRoom(socket);
    socket.emit('callConfig', callConfig);
    // Every client event: answered through its ack, within the socket's event budget.
    const on = <E extends keyof ClientToServerEvents>(event: E, handle: EventHandler<E>) =>
      socket.on(event as keyof ClientToServerEvents, ack(event, limits.bounded(handle)));
    on('callSignal', (payload) => calls.relay(socket, payload));
    on(
      'joinRoom',
      limits.joinLimited((payload) => rooms.joinRoom(socket, payload)),
    );
    on(
      'leaveRoom',
      limits.joinLimited((payload) => rooms.leaveRoom(socket, payload)),
    );
    on(
      'markRead',
      limits.readLimited((payload) => readMarkers.markRead(socket, payload)),
    );
    on('sendMessage', (payload) => messages.sendMessage(socket.data, payload));
    for (const event of ['editMessage', 'deleteMessage', 'react'] as const) {
      on(event, (payload) => roomEvents[event](socket.data, payload));
    }
    // Typing frames share the read-marker window: each costs a Redis script before its gate.
    on(
      'typing',
      limits.readLimited((payload) => typing.typing(socket, payload)),
    );
    on('refreshToken', (payload) => guards.refreshToken(socket, payload));
  });

  return {
    io,
    messages,
    async close() {
      draining = true;
      deps.readiness.markDraining();
      await inFlight.idle();
      if (!(await messages.recordsSettled(RECORD_RETRIES_WAIT_MS))) {
        log.warn('shutting down with buffer/dedupe writes still unrecorded; resync falls back to history');
      }
      const transports = [...io.of('/').sockets.values()].map((socket) => socket.conn);
      const transportsClosed = transports.map(
        (conn) => new Promise<void>((resolve) => conn.once('close', () => resolve())),
      );
      io.local.emit('serverShutdown', { reconnectInMs: config.RECONNECT_HINT_MS });
      // Close each transport itself (a Socket.IO disconnect would tell clients not to come
      // back): it flushes the last acks and the notice first, and clients see 'transport
      // close' and reconnect by themselves. io.close() would discard what is still buffered.
      for (const conn of transports) conn.close();
      await settledWithin(Promise.all(transportsClosed), TRANSPORT_CLOSE_WAIT_MS);
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
        httpServer.closeIdleConnections();
      });
      // After the transports: their connections linger rather than leave (no offline flap).
      await presence.close();
      guards.close();
      log.info('socket server closed');
    },
  };
}

function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void work.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
