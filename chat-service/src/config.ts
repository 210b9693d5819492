import os from 'node:os';
import { iceServerSchema } from '@chat/contracts';
import {
  amqpConfigShape,
  commonConfigShape,
  intVar,
  portVar,
  redisConfigShape,
  tokenConfigShape,
  urlListVar,
  urlVar,
} from '@chat/service-kit';
import { z } from 'zod';

/** `ICE_SERVERS`: a JSON array of RTCIceServer objects (docs/calls.md); none are needed on localhost. */
const iceServersVar = z
  .string()
  .optional()
  .default('[]')
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {urls, username?, credential?}' });
      return z.NEVER;
    }
  })
  .pipe(z.array(iceServerSchema).max(10));

/** chat-service environment (docs/architecture.md lists the shared variables). */
export const chatConfigSchema = z.object({
  ...commonConfigShape,
  ...tokenConfigShape,
  PORT: portVar(3003),
  /** This node's name in RabbitMQ's and Redis's client lists: `chat-service@<NODE_ID>`. */
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . -')
    .optional()
    .default(os.hostname().slice(0, 64) || 'chat'),
  ...redisConfigShape,
  ...amqpConfigShape,
  MESSAGE_SERVICE_URL: urlVar(['http:', 'https:'], 'http://127.0.0.1:3002'),
  /** Browser origins allowed to open a socket; clients without an Origin header are not browsers. */
  ALLOWED_ORIGINS: urlListVar(['http:', 'https:'], 'http://localhost:3000').transform((list) =>
    list.map((u) => new URL(u).origin),
  ),
  /** Accepted sends per user per minute, counted across all nodes. */
  SEND_RATE_LIMIT_PER_MIN: intVar(100, 1, 100_000),
  /** Longest wait for a RabbitMQ publisher confirm before the send fails with UNAVAILABLE. */
  CONFIRM_TIMEOUT_MS: intVar(5000, 100, 60_000),
  /** Messages kept per room in Redis to answer `joinRoom {sinceSeq}` during the persistence lag. */
  RECENT_BUFFER_SIZE: intVar(200, 1, 10_000),
  /** How long a user's clientMsgId is remembered for idempotent resends. */
  DEDUPE_TTL_SEC: intVar(86_400, 60, 30 * 86_400),
  HISTORY_TIMEOUT_MS: intVar(3000, 100, 60_000),
  /** Hint sent with `serverShutdown`: how soon clients should reconnect (to another node). */
  RECONNECT_HINT_MS: intVar(1000, 0, 60_000),
  /** Call signals (ring, offer, answer, ice, ...) one user may send per window, across nodes. */
  CALL_SIGNAL_RATE_LIMIT: intVar(50, 1, 100_000),
  CALL_SIGNAL_RATE_WINDOW_SEC: intVar(10, 1, 3600),
  /** How long a call rings before both sides end it as missed (the caller's client keeps the time). */
  CALL_RING_TIMEOUT_MS: intVar(30_000, 1000, 300_000),
  ICE_SERVERS: iceServersVar,
  /** Bearer token of POST /internal/*; unset, those routes do not exist (404). */
  INTERNAL_API_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  /** System messages the internal API may publish per minute, all callers together. */
  INTERNAL_PUBLISH_RATE_LIMIT_PER_MIN: intVar(6000, 1, 1_000_000),
  /** How long `joinRoom {sinceSeq}` waits for persistence to reach the recent buffer before answering `hasMore`. */
  RESYNC_PERSISTENCE_WAIT_MS: intVar(1000, 0, 30_000),
  /**
   * How long a connection counts as present after its node's last heartbeat (renewed every
   * third of it): a node killed without closing its sockets leaves its users online at most
   * this plus PRESENCE_SWEEP_INTERVAL_MS (DESIGN.md §3.4: under 60 s).
   */
  PRESENCE_TTL_SEC: intVar(45, 1, 55),
  /** How often each node removes expired presence and announces who went offline. */
  PRESENCE_SWEEP_INTERVAL_MS: intVar(2000, 50, 5000),
  /** How long a closed connection still counts: a user reconnecting within it (a drained node, a network blip) never shows offline. */
  PRESENCE_OFFLINE_GRACE_MS: intVar(5000, 0, 30_000),
  /** How long before its token's expiry a socket gets `tokenExpiring` (DESIGN.md §3). */
  TOKEN_EXPIRY_WARNING_SEC: intVar(60, 0, 3600),
  /** `joinRoom` frames one socket may send per JOIN_RATE_WINDOW_SEC (DESIGN.md §4.1). */
  JOIN_RATE_LIMIT: intVar(30, 1, 100_000),
  JOIN_RATE_WINDOW_SEC: intVar(10, 1, 3600),
  /**
   * `leaveRoom` frames count with joins; `markRead` and `typing` frames (one budget) one socket
   * may send per MARK_READ_RATE_WINDOW_SEC.
   */
  MARK_READ_RATE_LIMIT: intVar(60, 1, 100_000),
  MARK_READ_RATE_WINDOW_SEC: intVar(10, 1, 3600),
  /**
   * Rooms one user may join (public and direct alike; direct rooms opened by others' first
   * message are not refused, see DIRECT_OPEN_RATE_LIMIT); a new socket is subscribed to at most this many.
   */
  MEMBER_ROOMS_MAX: intVar(1000, 1, 100_000),
  /**
   * Direct conversations one user may open per DIRECT_OPEN_RATE_WINDOW_SEC (a first message to
   * someone who does not have the room): bounds how fast a stranger can fill others' room lists.
   */
  DIRECT_OPEN_RATE_LIMIT: intVar(30, 1, 100_000),
  DIRECT_OPEN_RATE_WINDOW_SEC: intVar(3600, 1, 86_400),
  /** Events one socket may have unanswered at once; more are answered RATE_LIMITED. */
  SOCKET_MAX_PENDING_EVENTS: intVar(64, 1, 100_000),
  /** Open sockets per user, counted across all nodes (DESIGN.md §4.1). */
  SOCKETS_PER_USER_MAX: intVar(20, 1, 100_000),
  /** Unsent output (queued packets + transport buffer) a socket may hold before it is disconnected. */
  SOCKET_OUTPUT_MAX_BYTES: intVar(2 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
});

export type ChatConfig = z.infer<typeof chatConfigSchema>;
