import type { ChainableCommander, Redis } from 'ioredis';
import type { MessageServiceKeys } from './keys.js';
import type { MessageDoc } from './message-model.js';
import { SEQ_BLOCK_SIZE } from './seq-blocks.js';

/**
 * Block summaries (README "Room list", docs/history-pages.md): per seq block, what unread
 * counting needs of its messages, in Redis and shared by every reader of the room, so a block is
 * read from MongoDB (≈ 0.1 ms of FerretDB decoding per message) once until it changes rather than
 * once per reader whose counts went stale.
 *
 * Invalidation by generation: the consumer HINCRBYs the generation of every block it wrote to
 * (`room:<id>:block-gens`, field = block), after its MongoDB write (history-cache.ts
 * `recordStored`). A reader reads the generation *before* it reads the block from MongoDB and
 * tags the summary with it; a summary is used only while its tag is the block's generation. A
 * write that lands after the reader's generation read bumps the generation after it, so a
 * summary that may lack that write is never used.
 *
 * The generation hash expires (`blockGensTtlSec`, twice a summary's lifetime) once the room has
 * had neither a write nor a stored summary for that long. Every write and every stored summary
 * pushes its expiry out, and a summary is stored only while the hash holds the generation it
 * was read at, so the hash outlives every summary tagged by it: a counter restarting from 0
 * can never meet an old summary with the same number.
 */

/** How long a room's generation hash lives after its last write or stored summary. */
export const blockGensTtlSec = (summaryTtlSec: number): number => 2 * summaryTtlSec;

/** A non-deleted message: its seq less the block's first, its sender's index, its mentions when it has some. */
type SummarisedMessage = [offset: number, sender: number, mentions?: string[]];

export interface BlockSummary {
  /** Each sender of the block once; messages name theirs by index. */
  senders: string[];
  messages: SummarisedMessage[];
  /** The deleted messages: never counted, yet they make the block non-empty for the walk's seq-jump rule. */
  deleted: number;
}

/** What a block is read with for counting. */
export const SUMMARISED_FIELDS = { _id: 0, seq: 1, senderId: 1, mentions: 1, deletedAt: 1 } as const;

/** The summary of block `block`'s documents. */
export function summarise(
  block: number,
  docs: readonly Pick<MessageDoc, 'seq' | 'senderId' | 'mentions' | 'deletedAt'>[],
): BlockSummary {
  const senders: string[] = [];
  const senderIndex = new Map<string, number>();
  const messages: SummarisedMessage[] = [];
  let deleted = 0;
  for (const d of docs) {
    // As the aggregation's `deletedAt: {$exists: false}`: a null there is deleted too.
    if (d.deletedAt !== undefined) {
      deleted += 1;
      continue;
    }
    let sender = senderIndex.get(d.senderId);
    if (sender === undefined) {
      sender = senders.push(d.senderId) - 1;
      senderIndex.set(d.senderId, sender);
    }
    const offset = d.seq - block * SEQ_BLOCK_SIZE;
    messages.push(d.mentions?.length ? [offset, sender, d.mentions] : [offset, sender]);
  }
  return { senders, messages, deleted };
}

/** Whether the block holds no document at all (the walk's empty block). */
export const isEmptyBlock = (summary: BlockSummary): boolean => summary.messages.length === 0 && summary.deleted === 0;

export interface UnreadReader {
  userId: string;
  username: string;
  /** The reader's marker: only seqs above it are unread. */
  after: number;
}

/** Adds to `into` the block's messages after the marker from others than the reader, and those mentioning them. */
export function countUnreadIn(
  block: number,
  summary: BlockSummary,
  reader: UnreadReader,
  into: { unread: number; mentions: number },
): void {
  const first = block * SEQ_BLOCK_SIZE;
  const own = summary.senders.indexOf(reader.userId);
  for (const [offset, sender, mentions] of summary.messages) {
    if (first + offset <= reader.after || sender === own) continue;
    into.unread += 1;
    if (mentions?.includes(reader.username)) into.mentions += 1;
  }
}

export interface BlockSummariesOptions {
  redis: Redis;
  keys: MessageServiceKeys;
  /** Runs a command bounded in time: null when Redis fails or is slow (the blocks are then read from MongoDB). */
  guarded: <T>(command: () => Promise<T>) => Promise<T | null>;
  /** Lifetime of a summary after it was stored. */
  ttlSec: number;
  /** Whether a write to the room has not reached Redis yet (its generations not bumped): its summaries are not trusted. */
  invalidationPending: (roomId: string) => boolean;
}

/** The blocks of a room whose summaries a count may use. */
export interface RoomBlocks {
  roomId: string;
  blocks: number[];
}

/** What Redis holds for one count's rooms: their blocks' summaries and generations, and their floors. */
export interface LoadedSummaries {
  /** The block's summary, when Redis holds one of its current generation. */
  get(roomId: string, block: number): BlockSummary | undefined;
  /** Keeps a summary just read from MongoDB, to store under the generation read before (loaded blocks only). */
  put(roomId: string, block: number, summary: BlockSummary): void;
  /** The block of the room's floor (seq-blocks.ts), when Redis holds a copy of it. */
  floorBlock(roomId: string): number | undefined;
  /** Keeps the block of the floor just read from MongoDB, to copy unless a write was recorded since the load. */
  putFloorBlock(roomId: string, block: number): void;
  /** Stores what was put, in one pipeline; never throws. */
  save(): Promise<void>;
}

/** A stored summary: the generation it was read at first, then the summary, compact. */
interface StoredSummary {
  g: number;
  s: string[];
  m: SummarisedMessage[];
  d?: number;
}

/**
 * Fields of the generation hash besides the blocks: the block of the room's floor (a copy of
 * `room_seq_floors`, lowered by every recorded write), and how many writes were recorded (which
 * tells a floor read from MongoDB before a write from one read after it).
 */
const FLOOR_FIELD = 'floor';
const WRITES_FIELD = 'writes';

/**
 * After a write to the room (KEYS[1], its generation hash) of messages in blocks ARGV[2..]: bumps
 * their generations and the write count, lowers the floor copy to the lowest of them when there
 * is one, and keeps the hash for ARGV[1] seconds more. One script, so a floor filled from an
 * older read cannot slip in between.
 */
const RECORD_WRITE_SCRIPT = `local lowest = nil
for i = 2, #ARGV do
  local block = ARGV[i]
  redis.call('HINCRBY', KEYS[1], block, 1)
  local b = tonumber(block)
  if lowest == nil or b < lowest then lowest = b end
end
redis.call('HINCRBY', KEYS[1], '${WRITES_FIELD}', 1)
local floor = tonumber(redis.call('HGET', KEYS[1], '${FLOOR_FIELD}'))
if floor ~= nil and lowest < floor then redis.call('HSET', KEYS[1], '${FLOOR_FIELD}', lowest) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`;

/**
 * Stores a summary (KEYS[2], ARGV[2] for ARGV[3] seconds) read at generation ARGV[1] of the
 * room's generation hash KEYS[1], and keeps the hash ARGV[4] seconds more. A summary of a
 * generation above 0 is stored only while the hash exists: had it expired since the read, a
 * later write would restart that block's count and could meet this summary's number again.
 */
const SAVE_SUMMARY_SCRIPT = `local exists = redis.call('EXISTS', KEYS[1]) == 1
if not exists and ARGV[1] ~= '0' then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
if exists then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return 1`;

/** Copies the floor block ARGV[2] unless the hash has one already or a write was recorded since the count ARGV[1]. */
const FILL_FLOOR_SCRIPT = `if redis.call('HEXISTS', KEYS[1], '${FLOOR_FIELD}') == 0 and (redis.call('HGET', KEYS[1], '${WRITES_FIELD}') or '') == ARGV[1] then
  redis.call('HSET', KEYS[1], '${FLOOR_FIELD}', ARGV[2])
end
return 1`;

/** Adds to `pipeline` what a write to the room's messages in `blocks` changes (the consumer's, history-cache.ts). */
export function recordBlockWrites(
  pipeline: ChainableCommander,
  keys: MessageServiceKeys,
  roomId: string,
  blocks: Iterable<number>,
  gensTtlSec: number,
): void {
  const written = [...blocks].map(String);
  if (written.length > 0) pipeline.eval(RECORD_WRITE_SCRIPT, 1, keys.blockGens(roomId), gensTtlSec, ...written);
}

export class BlockSummaries {
  constructor(private readonly opts: BlockSummariesOptions) {}

  /**
   * The floors, write counts, generations and summaries of `wanted`'s rooms and blocks, in one
   * pipeline (HMGET and MGET per room), or null while Redis fails or is slow. Rooms whose
   * invalidation is pending are left out.
   */
  async load(wanted: RoomBlocks[]): Promise<LoadedSummaries | null> {
    const { redis, keys } = this.opts;
    const rooms = wanted.filter((r) => r.blocks.length > 0 && !this.opts.invalidationPending(r.roomId));
    if (rooms.length === 0) return null;
    const pipeline = redis.pipeline();
    for (const { roomId, blocks } of rooms) {
      pipeline.hmget(keys.blockGens(roomId), FLOOR_FIELD, WRITES_FIELD, ...blocks.map(String));
      pipeline.mget(...blocks.map((b) => keys.blockSummary(roomId, b)));
    }
    const replies = await this.opts.guarded(() => pipeline.exec());
    if (!replies || replies.some(([err]) => err)) return null;
    /** Per room, its floor block and write count as loaded. */
    const heads = new Map<string, { floor: string | null; writes: string | null }>();
    /** `<roomId>:<block>` → the block's generation, and its summary when one of that generation is stored. */
    const loaded = new Map<string, { gen: number; summary?: BlockSummary }>();
    rooms.forEach(({ roomId, blocks }, i) => {
      const [floor = null, writes = null, ...gens] = replies[2 * i]![1] as (string | null)[];
      heads.set(roomId, { floor, writes });
      const stored = replies[2 * i + 1]![1] as (string | null)[];
      blocks.forEach((block, k) => {
        const gen = Number(gens[k] ?? 0);
        const summary = parseSummary(stored[k] ?? null, gen);
        loaded.set(`${roomId}:${block}`, summary ? { gen, summary } : { gen });
      });
    });
    const writes = this.opts.redis.pipeline();
    let writing = false;
    return {
      get: (roomId, block) => loaded.get(`${roomId}:${block}`)?.summary,
      put: (roomId, block, summary) => {
        const at = loaded.get(`${roomId}:${block}`);
        if (!at || at.summary) return;
        const { ttlSec } = this.opts;
        writes.eval(
          SAVE_SUMMARY_SCRIPT,
          2,
          keys.blockGens(roomId),
          keys.blockSummary(roomId, block),
          at.gen,
          serialise(at.gen, summary),
          ttlSec,
          blockGensTtlSec(ttlSec),
        );
        writing = true;
      },
      floorBlock: (roomId) => {
        const floor = heads.get(roomId)?.floor;
        return floor === null || floor === undefined ? undefined : Number(floor);
      },
      putFloorBlock: (roomId, block) => {
        const head = heads.get(roomId);
        if (!head) return;
        writes.eval(FILL_FLOOR_SCRIPT, 1, keys.blockGens(roomId), head.writes ?? '', block);
        writing = true;
      },
      save: async () => {
        if (writing) await this.opts.guarded(() => writes.exec());
      },
    };
  }
}

function serialise(gen: number, { senders, messages, deleted }: BlockSummary): string {
  const stored: StoredSummary = { g: gen, s: senders, m: messages, ...(deleted > 0 ? { d: deleted } : {}) };
  return JSON.stringify(stored);
}

/** The stored summary when it was read at generation `gen`; undefined when absent, older or unreadable. */
function parseSummary(value: string | null, gen: number): BlockSummary | undefined {
  if (value === null) return undefined;
  try {
    const stored = JSON.parse(value) as StoredSummary;
    if (stored.g !== gen) return undefined;
    return { senders: stored.s, messages: stored.m, deleted: stored.d ?? 0 };
  } catch {
    return undefined;
  }
}
