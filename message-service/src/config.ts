import {
  amqpConfigShape,
  commonConfigShape,
  intVar,
  mongoConfigShape,
  portVar,
  redisConfigShape,
  tokenConfigShape,
  urlVar,
} from '@chat/service-kit';
import { MAX_UPLOAD_BYTES_DEFAULT } from '@chat/contracts';
import { z } from 'zod';

export const messageServiceConfigSchema = z.object({
  ...commonConfigShape,
  ...tokenConfigShape,
  PORT: portVar(3002),
  ...mongoConfigShape,
  ...redisConfigShape,
  ...amqpConfigShape,
  /** Unacked deliveries the broker may hand the consumer at once (the batching window). */
  PERSIST_PREFETCH: intVar(500, 1, 65_535),
  /** Messages written to MongoDB in one insertMany. */
  PERSIST_BATCH_SIZE: intVar(200, 1, 5_000),
  /**
   * How long a partial batch waits for more messages before it is written. 100 rather than 20 ms:
   * FerretDB spends ~30% less CPU per message in batches of ~100. History, the room list and file
   * access trail delivery by up to this (the UI tries a file refused meanwhile again).
   */
  PERSIST_BATCH_MAX_WAIT_MS: intVar(100, 0, 10_000),
  /** Upper bound of the backoff between write retries while MongoDB is unavailable. */
  PERSIST_RETRY_MAX_MS: intVar(5_000, 10, 60_000),
  /** Attempts before a document MongoDB keeps rejecting (not a duplicate) is dead-lettered. */
  PERSIST_DOC_MAX_ATTEMPTS: intVar(5, 1, 100),
  /** A delivery unacked for longer than this marks the consumer stuck: /ready fails, `persist_consumer_stuck` is 1. */
  PERSIST_STUCK_AFTER_SEC: intVar(60, 1, 86_400),
  /**
   * The room list's state (last message, last seq) is copied to Redis every this many ms, once
   * per room that changed, instead of with each batch before its acks (0: with each batch;
   * ignored when ROOM_STATE_PERSIST_MS is 0). See room-activity-buffer.ts and room-states.ts.
   */
  ROOM_STATE_FLUSH_MS: intVar(5_000, 0, 60_000),
  /**
   * ... and written to MongoDB every this many ms (0: with each batch, before its acks, and
   * copied to Redis with it). MongoDB's is read only for rooms whose copy Redis lost or let expire.
   */
  ROOM_STATE_PERSIST_MS: intVar(60_000, 0, 600_000),
  /** History, search and member reads (one budget) per user per second, across replicas (DESIGN.md §4.1). */
  READ_RATE_LIMIT_PER_SEC: intVar(20, 1, 100_000),
  /** Where member names missing from the membership documents are asked (`GET /auth/users?ids=`). */
  USER_SERVICE_URL: urlVar(['http:', 'https:'], 'http://127.0.0.1:3001'),
  /** A names lookup slower than this is given up: the members list shows ids for those names. */
  USER_SERVICE_TIMEOUT_MS: intVar(2_000, 100, 60_000),
  /** Lifetime of a cached history page; bounds staleness if an invalidation could not reach Redis. */
  HISTORY_CACHE_TTL_SEC: intVar(60, 1, 86_400),
  /**
   * Lifetime of a block summary in Redis (what the room list's unread counts need of a seq block's
   * messages, block-summaries.ts): a block unchanged and unread for this long is read from MongoDB again.
   */
  BLOCK_SUMMARY_TTL_SEC: intVar(86_400, 60, 30 * 86_400),
  /** A cache command slower than this counts as Redis down and the read goes to MongoDB. */
  HISTORY_CACHE_TIMEOUT_MS: intVar(200, 10, 10_000),
  /** A search answers within this with what it found, `partial: true` when the scan was cut short (DESIGN.md §2). */
  SEARCH_TIME_BUDGET_MS: intVar(2_000, 1, 60_000),
  /** Rooms one search queries at once; more only helps while the database has idle cores (README: search). */
  SEARCH_ROOMS_IN_FLIGHT: intVar(1, 1, 64),
  /** Searches one user may have running at once on a replica (beyond: 429 RATE_LIMITED). */
  SEARCH_PER_USER_IN_FLIGHT: intVar(4, 1, 100),
  /** Largest file `POST /files` accepts (DESIGN.md §2); the gateway's limit for /files follows it. */
  MAX_UPLOAD_BYTES: intVar(MAX_UPLOAD_BYTES_DEFAULT, 1, 1024 * 1024 * 1024),
  /** How long a whole request may take (node's default is 5 min): an upload over a slow link, streamed through the gateway. */
  UPLOAD_TIMEOUT_MS: intVar(600_000, 1_000, 3_600_000),
  /** Uploads per user per minute, across replicas. */
  UPLOAD_RATE_LIMIT_PER_MIN: intVar(20, 1, 100_000),
  /**
   * Key of the HMAC in signed download URLs (`GET /files/:id?exp&sig`), the same on every
   * replica. Unset: a random key per process (links then open on the replica that issued them only).
   */
  FILE_URL_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Lifetime of a signed download URL (at most 10 minutes). */
  FILE_URL_TTL_SEC: intVar(300, 1, 600),
  /** Lifetime of an upload's FileRecord in Redis: how long after uploading it may be attached to a message. */
  FILE_RECORD_TTL_SEC: intVar(7 * 86_400, 60, 30 * 86_400),
  /** Uploads no stored message carries are removed once this old. */
  UNATTACHED_FILE_MAX_AGE_SEC: intVar(86_400, 0, 365 * 86_400),
  /** How often the sweep for unattached uploads runs (0: never; tests call it directly). */
  FILE_SWEEP_INTERVAL_SEC: intVar(3_600, 0, 86_400),
});

export type MessageServiceConfig = z.infer<typeof messageServiceConfigSchema>;
