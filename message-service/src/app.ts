/**
 * message-service as a library: `createApp(deps)` is what main.ts and tests (including
 * chat-service's system tests, which run the whole message path in one process) call.
 *
 *   const ms = createApp({ config, log, mongo, redis });
 *   const server = http.createServer(ms.app); await listen(server, 0);
 *   await ms.start();   // indexes, AMQP connection `message-service@<host>`, topology, consumer
 *   ...
 *   await ms.stop();    // cancel the consumer, finish the in-flight batch and its acks, close AMQP
 *   await ms.start();   // consuming again (a fresh connection), e.g. to test a restart mid-stream
 *
 * Deps:
 * - `config`: `loadConfig(messageServiceConfigSchema, env)`; the consumer connects to
 *   `config.AMQP_URL` itself (vhost in the URL) and reconnects with backoff.
 * - `mongo`: a connected mongoose Connection (`connectMongo`); owned by the caller.
 * - `redis`: the cache client, owned by the caller; give it `enableOfflineQueue: false` so
 *   commands fail at once while Redis is down (each cache command is also bounded by
 *   HISTORY_CACHE_TIMEOUT_MS) and history falls back to MongoDB.
 * - `store`: optional, wraps or replaces the MongoDB store (tests count or delay its reads).
 * - `files`: optional, replaces the GridFS file store (README.md "Files").
 *
 * Returns the express `app` (history, search, room list, members, files + /health /ready /metrics, also under
 * /messages/), its `readiness` and `metrics` registry, `history` (the cache), `fileLifecycle` (the sweep of
 * unattached uploads runs every FILE_SWEEP_INTERVAL_SEC while started) and `start`/`stop`.
 * `stop` leaves the HTTP side and the caller's clients untouched.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { sharedKeys } from '@chat/contracts';
import {
  createBaseApp,
  createMetricsRegistry,
  createTokenVerifier,
  finishApp,
  healthRouter,
  Readiness,
  ReconnectingAmqp,
  type Logger,
} from '@chat/service-kit';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import mongoose, { type Connection } from 'mongoose';
import type { Registry } from 'prom-client';
import type { MessageServiceConfig } from './config.js';
import { FileAccess } from './file-access.js';
import { FileLifecycle } from './file-lifecycle.js';
import { FileRecords } from './file-records.js';
import { fileRouter } from './file-routes.js';
import type { FileStore } from './file-store.js';
import { createGridFsFileStore } from './file-store_gridfs.js';
import { blockGensTtlSec } from './block-summaries.js';
import { CachedHistory } from './history-cache.js';
import { historyRouter } from './history-routes.js';
import { messageServiceKeys } from './keys.js';
import { membershipRouter } from './membership-routes.js';
import { createMongoMembershipStore, type MembershipStore } from './membership-store.js';
import { createMongoMemberRooms } from './member-rooms.js';
import { createMongoMessageStore, type MessageStore } from './message-store.js';
import { createMessageServiceMetrics } from './metrics.js';
import { PersistConsumer, type ConsumerMembers } from './persist-consumer.js';
import { ReadLimiter } from './read-limiter.js';
import { RoomActivityBuffer } from './room-activity-buffer.js';
import { RoomList } from './room-list.js';
import { RoomStates } from './room-states.js';
import { createHttpUserDirectory } from './user-directory.js';
import { createMongoSearchRepository } from './search-repository.js';
import { searchRouter } from './search-routes.js';
import { FileUrlSigner } from './signed-file-url.js';
import { UserRateLimiter } from './user-rate-limiter.js';

export const SERVICE_NAME = 'message-service';
/** A user's cached unread counts live a day after their last room list. */
const ROOM_COUNTS_TTL_SEC = 86_400;
/** A room's state copy in Redis lives a week after its last write or fill (then read from MongoDB again). */
const ROOM_STATE_TTL_SEC = 7 * 86_400;

export interface MessageServiceDeps {
  config: MessageServiceConfig;
  log: Logger;
  mongo: Connection;
  redis: Redis;
  store?: MessageStore;
  /** Optional, wraps or replaces the MongoDB membership store (tests make it refuse writes). */
  members?: MembershipStore;
  /** Where uploads live; default GridFS on `mongo` (README.md "Files" says how another store plugs in). */
  files?: FileStore;
  /** Shown as `message-service@<hostName>` on the AMQP connection and consumer; default os.hostname(). */
  hostName?: string;
}

export interface MessageServiceApp {
  app: Express;
  readiness: Readiness;
  metrics: Registry;
  history: CachedHistory;
  /** Rooms' states for the room list; `record` is the consumer's write (tests and benches write through it too). */
  roomStates: RoomStates;
  /** Uploads' lifecycle; `sweep()` runs one round of the unattached-file sweep (tests call it directly). */
  fileLifecycle: FileLifecycle;
  /** Ensure indexes, connect to RabbitMQ, declare the topology and consume. Resolves once consuming. */
  start(): Promise<void>;
  /** Stop consuming gracefully (bounded by half of SHUTDOWN_TIMEOUT_MS) and close the AMQP connection. */
  stop(): Promise<void>;
}

export function createApp(deps: MessageServiceDeps): MessageServiceApp {
  const { config, log, mongo, redis } = deps;
  const instanceName = `${SERVICE_NAME}@${deps.hostName ?? os.hostname()}`;
  const readiness = new Readiness();
  const registry = createMetricsRegistry(SERVICE_NAME);
  let running: { amqp: ReconnectingAmqp; consumer: PersistConsumer } | null = null;
  const metrics = createMessageServiceMetrics(registry, () => running?.consumer.health() ?? null);
  const store = deps.store ?? createMongoMessageStore(mongo);
  const members = deps.members ?? createMongoMembershipStore(mongo);
  const keys = messageServiceKeys(config.REDIS_KEY_PREFIX);
  const roomStates = new RoomStates({
    store: members,
    redis,
    keys,
    log,
    ttlSec: ROOM_STATE_TTL_SEC,
    timeoutMs: config.HISTORY_CACHE_TIMEOUT_MS,
  });
  const retryRoomStates = () => void roomStates.retry();
  // The consumer's room-state writes, coalesced per room: the Redis copies often, MongoDB seldom
  // (0: with each batch, copied with it). A copy round is one pipeline, so it is not paced.
  const roomRecords =
    config.ROOM_STATE_PERSIST_MS > 0
      ? new RoomActivityBuffer((stored) => roomStates.record(stored), config.ROOM_STATE_PERSIST_MS, log)
      : undefined;
  const roomCopies =
    roomRecords && config.ROOM_STATE_FLUSH_MS > 0
      ? new RoomActivityBuffer((stored) => roomStates.copy(stored), config.ROOM_STATE_FLUSH_MS, log, Infinity)
      : undefined;
  const roomActivity = [roomCopies, roomRecords].flatMap((buffer) => (buffer ? [buffer] : []));
  const consumerMembers: ConsumerMembers = {
    applyMemberEvents: (events) => members.applyMemberEvents(events),
    async recordActivity(stored) {
      if (!roomRecords) return roomStates.record(stored);
      roomRecords.add(stored);
      if (roomCopies) roomCopies.add(stored);
      else await roomStates.copy(stored);
    },
  };
  const history = new CachedHistory({
    redis,
    keys,
    store,
    metrics,
    log,
    ttlSec: config.HISTORY_CACHE_TTL_SEC,
    blockGensTtlSec: blockGensTtlSec(config.BLOCK_SUMMARY_TTL_SEC),
    timeoutMs: config.HISTORY_CACHE_TIMEOUT_MS,
  });

  const files = deps.files ?? createGridFsFileStore(mongo);
  const fileAccess = new FileAccess(mongo);
  const fileRecords = new FileRecords(redis, config.REDIS_KEY_PREFIX, config.FILE_RECORD_TTL_SEC);
  const fileLifecycle = new FileLifecycle({
    files,
    access: fileAccess,
    records: fileRecords,
    metrics,
    log,
    maxUnattachedAgeMs: config.UNATTACHED_FILE_MAX_AGE_SEC * 1000,
  });
  if (!config.FILE_URL_SECRET)
    log.warn('FILE_URL_SECRET is not set: signed file URLs open only on the replica that issued them');
  const signer = new FileUrlSigner(config.FILE_URL_SECRET ?? randomBytes(32).toString('hex'), config.FILE_URL_TTL_SEC);
  let sweepTimer: NodeJS.Timeout | null = null;

  readiness.register('mongo', () => mongo.readyState === mongoose.ConnectionStates.connected);
  readiness.register('redis', () => redis.status === 'ready');
  readiness.register('rabbitmq', () => running?.amqp.isConnected ?? false);
  // A consumer holding a delivery unacked for too long stores nothing for some room: not ready.
  readiness.register('persist', () => !(running?.consumer.health().stuck ?? false));

  const app = createBaseApp({ service: SERVICE_NAME, log, readiness, metrics: registry });
  // The gateway forwards /messages/* unchanged, so /messages/health is this service's too.
  app.use('/messages', healthRouter(SERVICE_NAME, readiness, registry));
  const verifyToken = createTokenVerifier(config.JWT_PUBLIC_KEY, {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
  // One budget for history, search and member reads (DESIGN.md §4.1).
  const readLimiter = new ReadLimiter({
    redis,
    keys,
    metrics,
    log,
    perSec: config.READ_RATE_LIMIT_PER_SEC,
    timeoutMs: config.HISTORY_CACHE_TIMEOUT_MS,
  });
  app.use(historyRouter({ verifyToken, history, metrics, readLimiter }));
  app.use(
    membershipRouter({
      verifyToken,
      store: members,
      roomList: new RoomList({
        store: members,
        states: roomStates,
        redis,
        keys,
        metrics,
        log,
        timeoutMs: config.HISTORY_CACHE_TIMEOUT_MS,
        ttlSec: ROOM_COUNTS_TTL_SEC,
        summaryTtlSec: config.BLOCK_SUMMARY_TTL_SEC,
        invalidationPending: (roomId) => history.invalidationPending(roomId),
      }),
      metrics,
      readLimiter,
      members: {
        store: members,
        directory: createHttpUserDirectory(config.USER_SERVICE_URL, config.USER_SERVICE_TIMEOUT_MS),
        redis,
        sharedKeys: sharedKeys(config.REDIS_KEY_PREFIX),
        redisTimeoutMs: config.HISTORY_CACHE_TIMEOUT_MS,
        metrics,
        log,
      },
    }),
  );
  app.use(
    searchRouter({
      verifyToken,
      memberRooms: createMongoMemberRooms(mongo),
      repo: createMongoSearchRepository(mongo),
      metrics,
      readLimiter,
      budgetMs: config.SEARCH_TIME_BUDGET_MS,
      inFlight: config.SEARCH_ROOMS_IN_FLIGHT,
      perUserInFlight: config.SEARCH_PER_USER_IN_FLIGHT,
    }),
  );
  app.use(
    fileRouter({
      verifyToken,
      files,
      access: fileAccess,
      records: fileRecords,
      signer,
      uploadLimiter: new UserRateLimiter({
        redis,
        log,
        key: keys.uploadRate,
        limit: config.UPLOAD_RATE_LIMIT_PER_MIN,
        windowMs: 60_000,
        timeoutMs: config.HISTORY_CACHE_TIMEOUT_MS,
        limited: metrics.uploadsLimited,
        failures: metrics.uploadLimiterFailures,
        refusal: `at most ${config.UPLOAD_RATE_LIMIT_PER_MIN} uploads per minute`,
      }),
      maxUploadBytes: config.MAX_UPLOAD_BYTES,
      metrics,
      log,
    }),
  );
  finishApp(app, log);

  return {
    app,
    readiness,
    metrics: registry,
    history,
    roomStates,
    fileLifecycle,
    async start() {
      if (running) return;
      await store.ensureIndexes();
      await members.ensureIndexes();
      // In the background, one after the other: on a large collection each reads every message;
      // pages and file checks wait for nothing.
      void store
        .backfillSeqBlocks(log)
        .catch((err: unknown) => log.warn({ err }, 'seq block backfill failed; retried at the next start'))
        .then(() => fileAccess.backfill(log))
        .catch((err: unknown) => log.warn({ err }, 'attachment id backfill failed; retried at the next start'));
      const consumer = new PersistConsumer({
        store,
        members: consumerMembers,
        onStored: (stored) => history.recordStored(stored),
        afterStored: (events) => fileLifecycle.afterStored(events),
        metrics,
        log,
        consumerTag: instanceName,
        prefetch: config.PERSIST_PREFETCH,
        batchSize: config.PERSIST_BATCH_SIZE,
        batchMaxWaitMs: config.PERSIST_BATCH_MAX_WAIT_MS,
        retryMaxMs: config.PERSIST_RETRY_MAX_MS,
        docMaxAttempts: config.PERSIST_DOC_MAX_ATTEMPTS,
        stuckAfterMs: config.PERSIST_STUCK_AFTER_SEC * 1000,
      });
      const amqp = new ReconnectingAmqp({
        url: config.AMQP_URL,
        name: instanceName,
        log,
        setup: (conn) => consumer.attach(conn),
      });
      running = { amqp, consumer };
      for (const buffer of roomActivity) buffer.start();
      // Copies the consumer could not write to Redis, written once it is back.
      redis.on('ready', retryRoomStates);
      if (config.FILE_SWEEP_INTERVAL_SEC > 0) {
        sweepTimer = setInterval(() => {
          fileLifecycle.sweep().catch((err: unknown) => log.warn({ err }, 'file sweep failed; retried next round'));
        }, config.FILE_SWEEP_INTERVAL_SEC * 1000);
        sweepTimer.unref();
      }
      await amqp.start();
    },
    async stop() {
      const current = running;
      if (!current) return;
      running = null;
      if (sweepTimer) clearInterval(sweepTimer);
      sweepTimer = null;
      // Half the shutdown budget: with MongoDB down the drain cannot finish, and closing must still run.
      await current.consumer.drain(Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2));
      // The drained batches are acked: an invalidation still pending would otherwise be lost
      // with this process, leaving cached pages and block summaries of those rooms in use.
      // Before the room states: a stale cached page misleads readers, a trailing state only the list.
      await history.recordStored(new Map());
      if (history.pendingRooms > 0)
        log.error(
          { rooms: history.pendingRooms },
          "cache invalidations lost at shutdown; delete those rooms' cached pages and block summaries",
        );
      // A quarter of the budget: a minute of changed rooms, written four at a time, may take longer.
      await Promise.all(roomActivity.map((buffer) => buffer.stop(Math.floor(config.SHUTDOWN_TIMEOUT_MS / 4))));
      redis.off('ready', retryRoomStates);
      await current.amqp.close();
    },
  };
}
