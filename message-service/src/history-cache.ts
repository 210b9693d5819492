import type { HistoryResponse, Message } from '@chat/contracts';
import type { Logger } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import { recordBlockWrites } from './block-summaries.js';
import type { MessageServiceKeys } from './keys.js';
import type { MessageStore, PageQuery } from './message-store.js';
import type { MessageServiceMetrics } from './metrics.js';
import { redisWithin } from './redis-timeout.js';

export type PageSource = 'cache' | 'mongo' | 'fallback';

export interface CachedHistoryOptions {
  redis: Redis;
  keys: MessageServiceKeys;
  store: MessageStore;
  metrics: MessageServiceMetrics;
  log: Logger;
  ttlSec: number;
  /** Lifetime of a room's block generations after its last write (block-summaries.ts `blockGensTtlSec`). */
  blockGensTtlSec: number;
  /** Bound on each Redis command; slower counts as Redis down. */
  timeoutMs: number;
}

/** What the consumer stored in a room with one write: the highest seq now stored, and the seq blocks of the messages it wrote. */
export interface StoredInRoom {
  maxSeq: number;
  blocks: ReadonlySet<number>;
}

/** One history page as the JSON text of a HistoryResponse (what Redis holds and the client gets), and where it came from. */
export interface PageJson {
  json: Buffer;
  source: PageSource;
}

/**
 * Cache-aside for history pages. Every page key carries the room's version counter, which
 * the consumer INCRs after each stored batch: a reader captures the version *before* it
 * queries MongoDB and writes under that version's key, so a slow reader that read before a
 * write can only refill a key nobody reads any more. Concurrent reads of one page (same
 * version) share one Redis GET and, on a miss, one MongoDB query; a cached page is passed on
 * as the JSON text Redis holds, never parsed. Redis failing or slow → the page comes from
 * MongoDB. Invalidations that cannot reach Redis are retried; until then that room is read
 * around the cache.
 */
export class CachedHistory {
  private readonly inFlight = new Map<string, Promise<PageJson>>();
  /**
   * Rooms whose invalidation did not reach Redis, with the stored-max mark and the blocks it
   * carried: read around the cache and retry on reconnect.
   */
  private readonly pendingInvalidation = new Map<string, StoredInRoom>();
  private readonly onRedisReady = () => void this.recordStored(new Map());

  constructor(private readonly opts: CachedHistoryOptions) {
    opts.redis.on('ready', this.onRedisReady);
  }

  /** One page and where it came from (each request counted as a hit, miss or fallback). */
  async read(roomId: string, query: PageQuery): Promise<PageJson> {
    const result = await this.load(roomId, query);
    const { cacheHits, cacheMisses, cacheFallbacks } = this.opts.metrics;
    ({ cache: cacheHits, mongo: cacheMisses, fallback: cacheFallbacks })[result.source].inc();
    return result;
  }

  private async load(roomId: string, query: PageQuery): Promise<PageJson> {
    const pageId = describePage(query);
    const { keys, redis } = this.opts;
    // The newest page is read below the stored-max mark (message-store.ts).
    const newest = query.before === undefined && query.after === undefined && query.changedAfter === undefined;
    let version: string;
    try {
      if (this.pendingInvalidation.has(roomId)) throw new Error('invalidation pending');
      if (newest) {
        // The mark is raised before the version: a page read under a version holds all it stored.
        const [v, storedMax] = await this.redisCall(
          redis.mget(keys.historyVersion(roomId), keys.roomStoredMax(roomId)),
        );
        version = v ?? '0';
        if (storedMax !== null) query = { ...query, storedMax: Number(storedMax) };
      } else {
        version = (await this.redisCall(redis.get(keys.historyVersion(roomId)))) ?? '0';
      }
    } catch (err) {
      // Not coalesced: without a version, a request that follows a write must not join a
      // query that started before it.
      return this.fromMongo(roomId, query, 'fallback', err);
    }
    // Two round trips, not one: a Lua script reading the version and then the page cost Redis
    // more per request (measured, 2-core bench) than it saved here, where concurrent reads of a
    // page already share the page GET.
    const key = this.opts.keys.historyPage(roomId, version, pageId);
    return this.singleFlight(key, () => this.readThrough(key, roomId, query));
  }

  /**
   * After a write, per room: raise its stored-max mark (never lowered) to the highest seq it
   * stored, bump the generation of every block it wrote to (block-summaries.ts), and bump the
   * room's version so every cached page of it stops being read, in one round trip.
   */
  async recordStored(stored: Map<string, StoredInRoom>): Promise<void> {
    // What is pending now: a call that fails meanwhile may add to it, and what it adds must stay.
    const taken = new Map(this.pendingInvalidation);
    const rooms = new Map<string, StoredInRoom>();
    for (const source of [taken, stored])
      for (const [room, written] of source) rooms.set(room, mergeStored(rooms.get(room), written));
    if (rooms.size === 0) return;
    const { keys } = this.opts;
    const pipeline = this.opts.redis.pipeline();
    for (const [room, { maxSeq, blocks }] of rooms) {
      // Mark and generations first: a reader that sees the new version (and recounts the room's
      // unread messages under it) sees the new mark and generations too.
      pipeline.eval(RAISE_SCRIPT, 1, keys.roomStoredMax(room), maxSeq);
      recordBlockWrites(pipeline, keys, room, blocks, this.opts.blockGensTtlSec);
      pipeline.incr(keys.historyVersion(room));
    }
    try {
      const results = (await this.redisCall(pipeline.exec())) ?? [];
      if (results.some(([err]) => err)) throw new Error('INCR failed');
      for (const room of rooms.keys())
        if (this.pendingInvalidation.get(room) === taken.get(room)) this.pendingInvalidation.delete(room);
    } catch (err) {
      if (this.pendingInvalidation.size === 0)
        this.opts.log.warn({ err: (err as Error).message }, 'cache invalidation failed; will retry');
      for (const [room, held] of rooms)
        this.pendingInvalidation.set(room, mergeStored(this.pendingInvalidation.get(room), held));
    }
  }

  /** Rooms whose invalidation has not reached Redis yet (retried at each write and on reconnect). */
  get pendingRooms(): number {
    return this.pendingInvalidation.size;
  }

  /** Whether a write to the room has not reached Redis yet: its cached pages and block summaries are not trusted. */
  invalidationPending(roomId: string): boolean {
    return this.pendingInvalidation.has(roomId);
  }

  /** One message in its current state, from MongoDB (the cache holds pages only). */
  message(roomId: string, messageId: string): Promise<Message | null> {
    return this.opts.store.findMessage(roomId, messageId);
  }

  close(): void {
    this.opts.redis.off('ready', this.onRedisReady);
  }

  private async readThrough(key: string, roomId: string, query: PageQuery): Promise<PageJson> {
    let cached: Buffer | null;
    try {
      cached = await this.redisCall(this.opts.redis.getBuffer(key));
    } catch (err) {
      return this.fromMongo(roomId, query, 'fallback', err);
    }
    if (cached !== null) return { json: cached, source: 'cache' };
    const result = await this.fromMongo(roomId, query, 'mongo');
    try {
      await this.redisCall(this.opts.redis.set(key, result.json, 'EX', this.opts.ttlSec));
    } catch (err) {
      this.opts.log.debug({ err: (err as Error).message }, 'cache fill failed');
    }
    return result;
  }

  private async fromMongo(
    roomId: string,
    query: PageQuery,
    source: 'mongo' | 'fallback',
    redisErr?: unknown,
  ): Promise<PageJson> {
    if (source === 'fallback') {
      this.opts.log.debug({ err: (redisErr as Error | undefined)?.message }, 'history cache bypassed');
    }
    this.opts.metrics.historyQueries.inc();
    const page: HistoryResponse = await this.opts.store.findPage(roomId, query);
    return { json: Buffer.from(JSON.stringify(page)), source };
  }

  private singleFlight(key: string, load: () => Promise<PageJson>): Promise<PageJson> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const p = load().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private redisCall<T>(command: Promise<T>): Promise<T> {
    return redisWithin(this.opts.timeoutMs, command);
  }
}

/** Sets KEYS[1] to ARGV[1] unless it already holds a higher number. */
const RAISE_SCRIPT = `local cur = tonumber(redis.call('GET', KEYS[1]))
if cur == nil or cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

/** The page's part of the cache key: cursor and limit. */
function describePage(query: PageQuery): string {
  const cursor =
    query.before !== undefined ? `b${query.before}` : query.after !== undefined ? `a${query.after}` : 'newest';
  const changed = query.changedAfter !== undefined ? `c${query.changedAfter}:` : '';
  return `${changed}${cursor}:l${query.limit}`;
}

/** Two writes to one room as one: the higher mark, the blocks of both. */
function mergeStored(held: StoredInRoom | undefined, written: StoredInRoom): StoredInRoom {
  if (!held) return written;
  return { maxSeq: Math.max(held.maxSeq, written.maxSeq), blocks: new Set([...held.blocks, ...written.blocks]) };
}
