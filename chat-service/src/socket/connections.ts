import type { Logger, VerifyToken } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import type { ChatConfig } from '../config.js';
import { connectionKeys } from '../adapters/connection-keys.js';
import { SocketEventLimits, type EventLimitSettings } from './event-limits.js';
import type { ChatMetrics } from '../metrics.js';
import { guardOutput } from './output-guard.js';
import type { RefusalLog } from './refusal-log.js';
import { SocketLifetimes } from './socket-lifetime.js';
import { socketLimitMiddleware } from './socket-limit-middleware.js';
import type { ChatServer, ChatSocket } from './socket-types.js';
import { UserSockets } from '../adapters/user-sockets.js';

export type ConnectionSettings = Pick<
  ChatConfig,
  | 'REDIS_KEY_PREFIX'
  | 'TOKEN_EXPIRY_WARNING_SEC'
  | 'JOIN_RATE_LIMIT'
  | 'JOIN_RATE_WINDOW_SEC'
  | 'MARK_READ_RATE_LIMIT'
  | 'MARK_READ_RATE_WINDOW_SEC'
  | 'SOCKET_MAX_PENDING_EVENTS'
  | 'SOCKETS_PER_USER_MAX'
  | 'SOCKET_OUTPUT_MAX_BYTES'
>;

export interface ConnectionDeps {
  io: ChatServer;
  redis: Redis;
  config: ConnectionSettings;
  verifyToken: VerifyToken;
  metrics: ChatMetrics;
  refusals: RefusalLog;
  log: Logger;
}

/**
 * The connection layer's limits around the event handlers (DESIGN.md §3 token lifetime, §4.1):
 * sockets per user at the handshake; per socket, the token's lifetime, a bound on unsent
 * output, and an event budget.
 */
export function createConnectionGuards(deps: ConnectionDeps) {
  const { config, metrics, log } = deps;
  const userSockets = new UserSockets(
    deps.redis,
    connectionKeys(config.REDIS_KEY_PREFIX),
    deps.io,
    config.SOCKETS_PER_USER_MAX,
    log,
  );
  const lifetimes = new SocketLifetimes({
    verifyToken: deps.verifyToken,
    warningMs: config.TOKEN_EXPIRY_WARNING_SEC * 1000,
    onExpired: (socket) => {
      metrics.forcedDisconnects.inc({ reason: 'token_expired' });
      socket.disconnect(true);
    },
  });
  const limitSettings: EventLimitSettings = {
    maxPending: config.SOCKET_MAX_PENDING_EVENTS,
    joinLimit: config.JOIN_RATE_LIMIT,
    joinWindowMs: config.JOIN_RATE_WINDOW_SEC * 1000,
    readLimit: config.MARK_READ_RATE_LIMIT,
    readWindowMs: config.MARK_READ_RATE_WINDOW_SEC * 1000,
    onLimited: (limit) => metrics.limited.inc({ limit }),
  };

  const stopOutputGuard = guardOutput(deps.io, config.SOCKET_OUTPUT_MAX_BYTES, (socket, bytes) => {
    metrics.forcedDisconnects.inc({ reason: 'output_overflow' });
    log.warn({ userId: socket.data.user.userId, bytes }, 'socket holds too much unsent output; disconnected');
  });

  return {
    /** Handshake middleware, after authentication: at most SOCKETS_PER_USER_MAX per user. */
    middleware: socketLimitMiddleware(userSockets, deps.refusals, metrics),

    /** Starts the socket's guards; its event handlers go through the returned limits. */
    attach(socket: ChatSocket): SocketEventLimits {
      lifetimes.start(socket);
      socket.once('disconnect', () => {
        lifetimes.stop(socket);
        userSockets.release(socket.data.user.userId, socket.id);
      });
      return new SocketEventLimits(limitSettings);
    },

    /** The `refreshToken` event. */
    refreshToken: async (socket: ChatSocket, payload: unknown) => lifetimes.refresh(socket, payload),

    close(): void {
      stopOutputGuard();
      userSockets.close();
    },
  };
}
