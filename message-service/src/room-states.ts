import type { Message } from '@chat/contracts';
import type { Logger } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import type { MessageServiceKeys } from './keys.js';
import type { RoomDoc } from './membership-model.js';
import type { MembershipStore } from './membership-store.js';
import { redisWithin } from './redis-timeout.js';

export interface RoomStatesOptions {
  store: MembershipStore;
  redis: Redis;
  keys: MessageServiceKeys;
  log: Logger;
  /** Lifetime of a room's copy after its last write or fill: idle rooms leave Redis. */
  ttlSec: number;
  /** Bound on each Redis command; slower counts as failed. */
  timeoutMs: number;
}

/** The copy in Redis of a room without state in MongoDB (no message yet): any real state (`rev` ≥ 1) replaces it. */
const NO_STATE = JSON.stringify({ rev: 0 });

/**
 * Rooms' state (RoomDoc): MongoDB holds it, and a copy of each room's lives in Redis under
 * `roomState` for the room list, which reads N rooms with one MGET (FerretDB reads every room
 * of the system for a `$in`). A copy is only ever replaced by one of a higher `rev`, which every
 * MongoDB write raises, so writers in any number and order (two consumers, a list filling what
 * it read) never move it back. Copies the consumer could not write are written again with its
 * next write or once Redis is back (`retry`), so a copy does not stay behind MongoDB.
 */
export class RoomStates {
  /** The newest state per room whose copy is not known written. */
  private readonly pending = new Map<string, RoomDoc>();
  private failing = false;

  constructor(private readonly opts: RoomStatesOptions) {}

  /** The consumer's write (coalesced by RoomActivityBuffer): MongoDB (the caller retries its failures), then Redis. */
  async record(stored: Message[]): Promise<void> {
    const written = await this.opts.store.recordActivity(stored);
    for (const state of written) {
      const held = this.pending.get(state._id);
      if (!held || held.rev < state.rev) this.pending.set(state._id, state);
    }
    await this.retry();
  }

  /** Writes the copies not yet written; kept for the next try when Redis fails (logged once per outage). */
  async retry(): Promise<void> {
    const states = [...this.pending.values()];
    if (states.length === 0) return;
    const err = await this.save(states.map((s) => [s._id, s]));
    if (err) {
      if (!this.failing)
        this.opts.log.warn({ err: err.message }, 'room states not copied to Redis; written again once it answers');
      this.failing = true;
      return;
    }
    this.failing = false;
    for (const state of states) if (this.pending.get(state._id) === state) this.pending.delete(state._id);
  }

  /**
   * After a room list read these rooms' states from MongoDB (`found`, the others have none):
   * their copies, unless newer ones were written meanwhile. Best effort: the next list tries again.
   */
  async fill(roomIds: string[], found: RoomDoc[]): Promise<void> {
    const byId = new Map(found.map((s) => [s._id, s]));
    const err = await this.save(roomIds.map((roomId) => [roomId, byId.get(roomId) ?? null]));
    if (err) this.opts.log.debug({ err: err.message }, 'room states not filled');
  }

  /** The MGET value of a room's `roomState` key: its state, null when it has none, undefined when not in Redis. */
  static parse(value: string | null): RoomDoc | null | undefined {
    if (value === null) return undefined;
    const state = JSON.parse(value) as RoomDoc | { rev: 0 };
    return state.rev > 0 ? { ...(state as RoomDoc), lastAt: new Date((state as RoomDoc).lastAt) } : null;
  }

  /** One pipeline of guarded writes; the error when it failed (some may have landed). */
  private async save(states: [string, RoomDoc | null][]): Promise<Error | null> {
    const { redis, keys, ttlSec, timeoutMs } = this.opts;
    const pipeline = redis.pipeline();
    for (const [roomId, state] of states)
      pipeline.eval(
        SAVE_IF_NEWER,
        1,
        keys.roomState(roomId),
        state ? JSON.stringify(state) : NO_STATE,
        state?.rev ?? 0,
        ttlSec,
      );
    try {
      const results = (await redisWithin(timeoutMs, pipeline.exec())) ?? [];
      return results.find(([e]) => e)?.[0] ?? null;
    } catch (err) {
      return err as Error;
    }
  }
}

/** KEYS[1] a room's copy; ARGV: the state's JSON, its rev, the TTL. The TTL is refreshed either way. */
const SAVE_IF_NEWER = `local held = redis.call('GET', KEYS[1])
if held and cjson.decode(held).rev >= tonumber(ARGV[2]) then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1`;
