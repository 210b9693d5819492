import { dmMembers, UNREAD_MAX, type RoomSummary } from '@chat/contracts';
import type { Logger } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import { BlockSummaries } from './block-summaries.js';
import type { MessageServiceKeys } from './keys.js';
import type { RoomDoc } from './membership-model.js';
import type { MembershipStore, UnreadCounts } from './membership-store.js';
import type { MessageServiceMetrics } from './metrics.js';
import { redisWithin } from './redis-timeout.js';
import { RoomStates } from './room-states.js';

export interface RoomListOptions {
  store: MembershipStore;
  /** The rooms' states: their copies in Redis are filled from here. */
  states: RoomStates;
  redis: Redis;
  keys: MessageServiceKeys;
  metrics: MessageServiceMetrics;
  log: Logger;
  /** Bound on each cache command; slower counts as Redis down (the counts are then all computed). */
  timeoutMs: number;
  /** Lifetime of a user's cached counts after their last list. */
  ttlSec: number;
  /** Lifetime of a block summary (block-summaries.ts). */
  summaryTtlSec: number;
  /** Whether a write to the room has not reached Redis yet (history-cache.ts): its block summaries are not trusted. */
  invalidationPending: (roomId: string) => boolean;
}

/**
 * `GET /messages/rooms` (DESIGN.md §2, README "Room list"): the caller's memberships, their
 * rooms' state (from Redis, room-states.ts; MongoDB for those missing there), and unread counts
 * for the rooms whose last seq is past the marker. A room's counts are cached in Redis under the
 * marker and the room's cache version (bumped by every stored batch) they were computed at, so
 * only rooms written to (or read) since the caller's last list are counted again, all in one
 * aggregation. At most three MongoDB queries and four Redis commands, whatever the number of rooms,
 * when counting by range; by seq block, one pipeline reads the counted rooms' block summaries and
 * floors, and one stores those read from MongoDB (block-summaries.ts).
 */
export class RoomList {
  private cacheFailing = false;
  private readonly summaries: BlockSummaries;

  constructor(private readonly opts: RoomListOptions) {
    this.summaries = new BlockSummaries({
      redis: opts.redis,
      keys: opts.keys,
      guarded: (command) => this.redis(command),
      ttlSec: opts.summaryTtlSec,
      invalidationPending: opts.invalidationPending,
    });
  }

  async of(userId: string, username: string): Promise<RoomSummary[]> {
    const { store } = this.opts;
    const joined = await store.joinedRooms(userId);
    if (joined.length === 0) return [];
    const roomIds = joined.map((m) => m.roomId);
    const cached = await this.fromRedis(roomIds);
    const marks = cached?.marks;
    const states = await this.statesOf(roomIds, cached?.states);
    const lastSeqOf = (roomId: string) =>
      Math.max(states.get(roomId)?.lastSeq ?? 0, marks?.get(roomId)?.storedMax ?? 0);
    /**
     * The room's cache version, or (Redis failing or without it) its state's last seq. A write
     * that does not raise the latter (a late arrival below it) raises the version, which is
     * then there to stamp with, unless Redis fails — and then no count is cached.
     */
    const revOf = (roomId: string) => {
      const version = marks?.get(roomId)?.version;
      if (version !== undefined) return `v${version}`;
      const state = states.get(roomId);
      return state ? `s${state.lastSeq}` : undefined;
    };
    /** What a room's counts depend on: the caller's marker and every write to the room. */
    const stamps = new Map(
      joined.flatMap((m) => {
        const rev = revOf(m.roomId);
        return rev !== undefined && lastSeqOf(m.roomId) > m.lastReadSeq
          ? [[m.roomId, `${m.lastReadSeq}:${rev}`] as const]
          : [];
      }),
    );
    const counts = await this.cached(userId, stamps);
    const stale = joined.filter((m) => stamps.has(m.roomId) && !counts.has(m.roomId));
    if (stale.length > 0) {
      const fresh = await store.countUnread(
        userId,
        username,
        // Counted by block below the room's last seq: the mark is raised before the version the
        // stamp holds, so it covers what was stored under it. A room without a mark (nothing stored
        // since Redis began) has its state's: its copy trails its last write by up to
        // 1.5 × ROOM_STATE_FLUSH_MS; where Redis lost that too, MongoDB's by 1.5 × ROOM_STATE_PERSIST_MS.
        // Redis failing (no marks): counted by range, exactly.
        stale.map((m) => ({ roomId: m.roomId, after: m.lastReadSeq, top: marks ? lastSeqOf(m.roomId) : undefined })),
        this.summaries,
      );
      const zero = { unread: 0, mentions: 0 };
      for (const m of stale) counts.set(m.roomId, fresh.get(m.roomId) ?? zero);
      await this.remember(
        userId,
        new Map(stale.map((m) => [m.roomId, [stamps.get(m.roomId)!, counts.get(m.roomId)!]])),
      );
    }
    this.opts.metrics.roomListCounts.inc({ source: 'cache' }, stamps.size - stale.length);
    this.opts.metrics.roomListCounts.inc({ source: 'mongo' }, stale.length);

    const activity = (m: (typeof joined)[number]) => states.get(m.roomId)?.lastAt.getTime() ?? m.joinedAt.getTime();
    return joined
      .sort((a, b) => activity(b) - activity(a) || (a.roomId < b.roomId ? -1 : 1))
      .map((m): RoomSummary => {
        const state = states.get(m.roomId);
        const c = counts.get(m.roomId);
        const peer = dmMembers(m.roomId)?.find((id) => id !== userId);
        return {
          roomId: m.roomId,
          lastSeq: lastSeqOf(m.roomId),
          lastReadSeq: m.lastReadSeq,
          unread: Math.min(c?.unread ?? 0, UNREAD_MAX),
          mentions: Math.min(c?.mentions ?? 0, UNREAD_MAX),
          ...(state ? { lastMessage: state.lastMessage } : {}),
          ...(peer ? { peer } : {}),
        };
      });
  }

  /**
   * One MGET. Per room, the consumer's marks, raised after every stored batch (history-cache.ts
   * `recordStored`): the highest seq stored and the cache version. They run ahead of the
   * coalesced room-state copy (ROOM_STATE_FLUSH_MS), so counts and `lastSeq` are exact at once while
   * `lastMessage` may trail. And the copy of the room's state (null: it has none), where Redis
   * holds one. Null while Redis fails: the room state alone then.
   */
  private async fromRedis(roomIds: string[]): Promise<{
    marks: Map<string, { storedMax: number; version: string }>;
    states: Map<string, RoomDoc | null>;
  } | null> {
    const { keys } = this.opts;
    const values = await this.redis(() =>
      this.opts.redis.mget(
        ...roomIds.flatMap((r) => [keys.roomStoredMax(r), keys.historyVersion(r), keys.roomState(r)]),
      ),
    );
    if (!values) return null;
    const marks = new Map<string, { storedMax: number; version: string }>();
    const states = new Map<string, RoomDoc | null>();
    roomIds.forEach((roomId, i) => {
      const [storedMax, version, state] = values.slice(3 * i, 3 * i + 3);
      if (version) marks.set(roomId, { storedMax: Number(storedMax ?? 0), version });
      const copy = RoomStates.parse(roomId, state ?? null);
      if (copy !== undefined) states.set(roomId, copy);
    });
    return { marks, states };
  }

  /**
   * The rooms' states: the copies Redis holds (`cached`), the rest from MongoDB in one query,
   * then copied to Redis. All from MongoDB while Redis fails (`cached` undefined), copying nothing.
   */
  private async statesOf(roomIds: string[], cached: Map<string, RoomDoc | null> | undefined) {
    const states = new Map<string, RoomDoc>();
    for (const [roomId, state] of cached ?? []) if (state) states.set(roomId, state);
    const missing = cached ? roomIds.filter((r) => !cached.has(r)) : roomIds;
    this.opts.metrics.roomListStates.inc({ source: 'redis' }, roomIds.length - missing.length);
    if (missing.length === 0) return states;
    this.opts.metrics.roomListStates.inc({ source: 'mongo' }, missing.length);
    const found = await this.opts.store.roomStates(missing);
    for (const state of found) states.set(state._id, state);
    if (cached) await this.opts.states.fill(missing, found);
    return states;
  }

  /** The cached counts still valid for `stamps` (room → stamp); none while Redis fails. */
  private async cached(userId: string, stamps: Map<string, string>): Promise<Map<string, UnreadCounts>> {
    const counts = new Map<string, UnreadCounts>();
    if (stamps.size === 0) return counts;
    const rooms = [...stamps.keys()];
    const values = await this.redis(() => this.opts.redis.hmget(this.opts.keys.roomCounts(userId), ...rooms));
    values?.forEach((value, i) => {
      const [stamp, unread, mentions] = value?.split('|') ?? [];
      if (stamp === stamps.get(rooms[i]!))
        counts.set(rooms[i]!, { unread: Number(unread), mentions: Number(mentions) });
    });
    return counts;
  }

  private async remember(userId: string, entries: Map<string, [string, UnreadCounts]>): Promise<void> {
    const key = this.opts.keys.roomCounts(userId);
    const fields = [...entries].flatMap(([roomId, [stamp, c]]) => [roomId, `${stamp}|${c.unread}|${c.mentions}`]);
    await this.redis(() =>
      this.opts.redis
        .multi()
        .hset(key, ...fields)
        .expire(key, this.opts.ttlSec)
        .exec(),
    );
  }

  /** A cache command, or null when Redis fails or is slow (logged once per outage). */
  private async redis<T>(command: () => Promise<T>): Promise<T | null> {
    try {
      const result = await redisWithin(this.opts.timeoutMs, command());
      this.cacheFailing = false;
      return result;
    } catch (err) {
      if (!this.cacheFailing)
        this.opts.log.warn({ err: (err as Error).message }, 'room list cache unavailable; read from MongoDB');
      this.cacheFailing = true;
      return null;
    }
  }
}
