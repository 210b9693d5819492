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

/**
 * Per room, the state these stored messages raise it to: `lastMessage` the newest by (seq,
 * version), `lastSeq` the highest version (a change takes a seq).
 */
export function statesFrom(stored: Message[]): RoomDoc[] {
  const byRoom = new Map<string, RoomDoc>();
  for (const m of stored) {
    const state: RoomDoc = {
      _id: m.roomId,
      lastSeq: m.version,
      lastMessage: m,
      lastMessageSeq: m.seq,
      lastMessageVersion: m.version,
      lastAt: new Date(m.createdAt),
    };
    const held = byRoom.get(m.roomId);
    byRoom.set(m.roomId, held ? merged(held, state) : state);
  }
  return [...byRoom.values()];
}

/** Two states of one room as one: the newer message, the higher `lastSeq` (SAVE_MERGED does the same in Redis). */
function merged(a: RoomDoc, b: RoomDoc): RoomDoc {
  const newer =
    b.lastMessageSeq > a.lastMessageSeq ||
    (b.lastMessageSeq === a.lastMessageSeq && b.lastMessageVersion > a.lastMessageVersion)
      ? b
      : a;
  return { ...newer, lastSeq: Math.max(a.lastSeq, b.lastSeq) };
}

/**
 * Rooms' state (RoomDoc): a copy of each room's lives in Redis under `roomState` for the room
 * list, which reads N rooms with one MGET (FerretDB reads every room of the system for a `$in`),
 * and MongoDB holds it for rooms Redis lost or let expire. The consumer writes the copies often
 * (`copy`, cheap) and MongoDB seldom (`record`: on FerretDB one write costs ~3 ms of database
 * CPU). Every write to a copy is a merge — the newer message by (seq, version), the higher
 * `lastSeq` — so writers in any number and order (two consumers, a list filling what it read
 * from a MongoDB that trails) never move it back. Copies not written (Redis failing) are written
 * again with the next write or once Redis is back (`retry`).
 */
export class RoomStates {
  /** The newest state per room whose copy is not known written. */
  private readonly pending = new Map<string, RoomDoc>();
  private failing = false;

  constructor(private readonly opts: RoomStatesOptions) {}

  /**
   * The states raised by these stored messages into the copies, then into MongoDB (the caller
   * retries its failures; copying again is harmless).
   */
  async record(stored: Message[]): Promise<void> {
    const states = statesFrom(stored);
    await this.copyStates(states);
    await this.opts.store.recordActivity(states);
  }

  /** The states raised by these stored messages into the copies only. Never throws: a failed copy is retried. */
  copy(stored: Message[]): Promise<void> {
    return this.copyStates(statesFrom(stored));
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
   * merged into their copies. Best effort: the next list tries again.
   */
  async fill(roomIds: string[], found: RoomDoc[]): Promise<void> {
    const byId = new Map(found.map((s) => [s._id, s]));
    const err = await this.save(roomIds.map((roomId) => [roomId, byId.get(roomId) ?? null]));
    if (err) this.opts.log.debug({ err: err.message }, 'room states not filled');
  }

  /** The MGET value of a room's `roomState` key: its state, null when it has none, undefined when not in Redis. */
  static parse(roomId: string, value: string | null): RoomDoc | null | undefined {
    const fields = value === null ? null : COPY_FORMAT.exec(value);
    // Not held, or held in an older format: read from MongoDB and filled again.
    if (!fields) return undefined;
    const [, lastSeq, lastMessageSeq, lastMessageVersion, body] = fields;
    if (Number(lastSeq) === 0) return null;
    const { lastMessage, lastAt } = JSON.parse(body!) as Pick<RoomDoc, 'lastMessage'> & { lastAt: string };
    return {
      _id: roomId,
      lastSeq: Number(lastSeq),
      lastMessage,
      lastMessageSeq: Number(lastMessageSeq),
      lastMessageVersion: Number(lastMessageVersion),
      lastAt: new Date(lastAt),
    };
  }

  private async copyStates(states: RoomDoc[]): Promise<void> {
    for (const state of states) {
      const held = this.pending.get(state._id);
      this.pending.set(state._id, held ? merged(held, state) : state);
    }
    await this.retry();
  }

  /** One pipeline of merges; the error when it failed (some may have landed). */
  private async save(states: [string, RoomDoc | null][]): Promise<Error | null> {
    const { redis, keys, ttlSec, timeoutMs } = this.opts;
    const pipeline = redis.pipeline();
    for (const [roomId, state] of states)
      pipeline.eval(
        SAVE_MERGED,
        1,
        keys.roomState(roomId),
        state?.lastSeq ?? 0,
        state?.lastMessageSeq ?? 0,
        state?.lastMessageVersion ?? 0,
        state ? JSON.stringify({ lastMessage: state.lastMessage, lastAt: state.lastAt }) : '',
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

/**
 * A copy: `<lastSeq>|<lastMessageSeq>|<lastMessageVersion>|<{lastMessage, lastAt} as JSON>`,
 * so the merge compares numbers and keeps the message's JSON as it came. `0|0|0|` is a room
 * without state (no message yet), so no list asks MongoDB for it again; any real state passes it.
 */
const COPY_FORMAT = /^(\d+)\|(\d+)\|(\d+)\|(.*)$/s;

/**
 * KEYS[1] a room's copy; ARGV: lastSeq, lastMessageSeq, lastMessageVersion, body, TTL. Merged
 * as `merged()` does; the numbers written are the strings given or held, never Lua's doubles
 * printed back. The TTL is refreshed either way.
 */
const SAVE_MERGED = `local last, seq, version, body = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local held = redis.call('GET', KEYS[1])
local hLast, hSeq, hVersion, hBody
if held then hLast, hSeq, hVersion, hBody = string.match(held, '^(%d+)|(%d+)|(%d+)|(.*)$') end
if hLast then
  local keepLast = tonumber(hLast) >= tonumber(last)
  local keepMessage = tonumber(hSeq) > tonumber(seq) or (tonumber(hSeq) == tonumber(seq) and tonumber(hVersion) >= tonumber(version))
  if keepLast and keepMessage then
    redis.call('EXPIRE', KEYS[1], ARGV[5])
    return 0
  end
  if keepLast then last = hLast end
  if keepMessage then seq, version, body = hSeq, hVersion, hBody end
end
redis.call('SET', KEYS[1], last .. '|' .. seq .. '|' .. version .. '|' .. body, 'EX', ARGV[5])
return 1`;
