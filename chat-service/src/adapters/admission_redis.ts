import type { Message } from '@chat/contracts';
import type { Redis } from 'ioredis';
import type { Admission, SendAdmission, SendRequest, SentRecord } from './admission.js';
import type { ChatKeys } from './keys.js';
import { redisUnavailable } from './redis-errors.js';

/** Pending claims start with this. */
const PENDING = 'p:';
/** A message whose publish outcome is unknown, kept whole so that a resend republishes it. */
const UNCERTAIN = 'u:';
/** An accepted send: `s:<seq>:<createdAt ms>:<textHash>` (see SentRecord). */
const SENT = 's:';

/**
 * The per-user send budget, shared by sends and room events (DESIGN.md §4.1): returns
 * {'rate-limited', ttl} when spent. Uses the Lua local `rate` (its key) and ARGV[1..2]
 * (limit, windowSec).
 */
const RATE_CHECK_LUA = `
local used = tonumber(redis.call('GET', rate) or '0')
if used >= tonumber(ARGV[1]) then
  return {'rate-limited', redis.call('TTL', rate)}
end
`;

/** Counts one accepted event in the budget checked by RATE_CHECK_LUA. */
const RATE_COUNT_LUA = `
if redis.call('INCR', rate) == 1 then redis.call('EXPIRE', rate, ARGV[2]) end
`;

/**
 * The room's next seq into the Lua local `seq`, from the hash named by the Lua local
 * `sequence`. The seq authority is this fragment alone (docs/sequences.md): sends and room
 * events (edits, deletes, reactions) take their seq here. Normally seq = last + 1. When
 * the room has no state (new room, flushed or lost) or its state was last advanced under a
 * different Redis run (a restart, a failover, a rollback to older data: the run_id of the
 * server that wrote it differs from the one running now), seq = max(last + 1, Redis TIME in
 * ticks of 10 µs): every seq handed out before was at most the clock of its time, since a
 * room never averages more than a message per tick (100,000 a second), so the clock floor is
 * above all of them. (10 µs, not 1 µs: seqs stay within the history API's 15 digits.)
 * The run_id is read here, by the server itself, so no caller can pass a stale one.
 */
const NEXT_SEQ_LUA = `
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)') or ''
local state = redis.call('HMGET', sequence, 'last', 'run')
local last = tonumber(state[1])
local seq
if last and run ~= '' and state[2] == run then
  seq = redis.call('HINCRBY', sequence, 'last', 1)
else
  local now = redis.call('TIME')
  seq = math.max((last or 0) + 1, tonumber(now[1]) * 100000 + math.floor(tonumber(now[2]) / 10))
  redis.call('HSET', sequence, 'last', seq, 'run', run)
end
`;

/**
 * One round trip per send: dedupe check, rate-limit check, next seq, rate count and pending
 * claim, atomically. Returns {status, value}.
 * KEYS: sent, rate, sequence. ARGV: limit, windowSec, pendingValue, pendingTtlSec.
 */
const ADMIT_LUA = `
local rate, sequence = KEYS[2], KEYS[3]
local sent = redis.call('GET', KEYS[1])
if sent then
  local tag = string.sub(sent, 1, 2)
  if tag == '${PENDING}' then return {'in-flight', ''} end
  if tag == '${UNCERTAIN}' then
    redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
    return {'uncertain', string.sub(sent, 3)}
  end
  return {'duplicate', string.sub(sent, 3)}
end
${RATE_CHECK_LUA}
${NEXT_SEQ_LUA}
${RATE_COUNT_LUA}
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
return {'accepted', seq}
`;

/**
 * A room event (edit, delete, reaction) takes the room's next seq as its version, counted in
 * the sender's send budget: the same fragments as a send, without the send's dedupe claim
 * (an event's idempotency is kept under its message lock, room-events.ts).
 * KEYS: rate, sequence. ARGV: limit, windowSec.
 */
const ADMIT_EVENT_LUA = `
local rate, sequence = KEYS[1], KEYS[2]
${RATE_CHECK_LUA}
${NEXT_SEQ_LUA}
${RATE_COUNT_LUA}
return {'accepted', seq}
`;

/** Delete the claim only if it is still ours (it may have expired and been re-claimed). */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Swap our pending claim for the uncertain message (kept as long as a dedupe record). */
const MARK_UNCERTAIN_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return 0
`;

interface AdmissionCommands {
  chatAdmit(
    sent: string,
    rate: string,
    sequence: string,
    ...argv: (string | number)[]
  ): Promise<[string, string | number]>;
  chatAdmitEvent(rate: string, sequence: string, limit: number, windowSec: number): Promise<[string, number]>;
  chatRelease(sent: string, pending: string): Promise<number>;
  chatMarkUncertain(sent: string, pending: string, uncertain: string, ttlSec: number): Promise<unknown>;
}

export interface RedisAdmissionOptions {
  redis: Redis;
  keys: ChatKeys;
  ratePerMinute: number;
  dedupeTtlSec: number;
  /** How long a pending claim lives if its node dies mid-publish; longer than the confirm bound. */
  pendingTtlSec: number;
}

export function createRedisAdmission(opts: RedisAdmissionOptions): SendAdmission {
  const { redis, keys } = opts;
  redis.defineCommand('chatAdmit', { numberOfKeys: 3, lua: ADMIT_LUA });
  redis.defineCommand('chatAdmitEvent', { numberOfKeys: 2, lua: ADMIT_EVENT_LUA });
  redis.defineCommand('chatRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
  redis.defineCommand('chatMarkUncertain', { numberOfKeys: 1, lua: MARK_UNCERTAIN_LUA });
  const commands = redis as unknown as AdmissionCommands;
  const pendingValue = (req: SendRequest) => `${PENDING}${req.claim}`;
  const sentKey = (req: SendRequest) => keys.sentMessage(req.messageId);

  return {
    async admit(req): Promise<Admission> {
      const [status, value] = await commands
        .chatAdmit(
          sentKey(req),
          keys.sendRate(req.userId),
          keys.roomSequence(req.roomId),
          req.ratePerMinute ?? opts.ratePerMinute,
          60,
          pendingValue(req),
          opts.pendingTtlSec,
        )
        .catch(redisUnavailable);
      switch (status) {
        case 'accepted':
          return { kind: 'accepted', seq: Number(value) };
        case 'duplicate':
          return { kind: 'duplicate', record: decodeRecord(String(value)) };
        case 'rate-limited':
          return { kind: 'rate-limited', retryAfterSec: Math.max(1, Number(value)) };
        case 'uncertain':
          // Our own record, written by markUncertain() from a validated Message.
          return { kind: 'uncertain', message: JSON.parse(String(value)) as Message };
        default:
          return { kind: 'in-flight' };
      }
    },
    commitRecord(req, record) {
      return { key: sentKey(req), value: `${SENT}${encodeRecord(record)}`, ttlSec: opts.dedupeTtlSec };
    },
    async release(req) {
      await commands.chatRelease(sentKey(req), pendingValue(req)).catch(redisUnavailable);
    },
    async markUncertain(req, messageJson) {
      await commands
        .chatMarkUncertain(sentKey(req), pendingValue(req), `${UNCERTAIN}${messageJson}`, opts.dedupeTtlSec)
        .catch(redisUnavailable);
    },
    async admitEvent(userId, roomId) {
      const [status, value] = await commands
        .chatAdmitEvent(keys.sendRate(userId), keys.roomSequence(roomId), opts.ratePerMinute, 60)
        .catch(redisUnavailable);
      return status === 'accepted'
        ? { kind: 'accepted', seq: Number(value) }
        : { kind: 'rate-limited', retryAfterSec: Math.max(1, Number(value)) };
    },
    async lastSeq(roomId) {
      const v = await redis.hget(keys.roomSequence(roomId), 'last').catch(redisUnavailable);
      return v === null ? null : Number(v);
    },
  };
}

/** `<seq>:<createdAt ms>:<textHash>`: about 40 bytes instead of the whole message JSON. */
function encodeRecord(r: SentRecord): string {
  return `${r.seq}:${r.createdAtMs}:${r.textHash}`;
}

function decodeRecord(value: string): SentRecord {
  const [seq, createdAtMs, textHash] = value.split(':');
  return { seq: Number(seq), createdAtMs: Number(createdAtMs), textHash: textHash ?? '' };
}
