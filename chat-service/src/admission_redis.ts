import type { Message } from '@chat/contracts';
import type { Redis } from 'ioredis';
import type { Admission, SendAdmission, SendRequest } from './admission.js';
import type { ChatKeys } from './keys.js';
import { redisUnavailable } from './redis-errors.js';

/** Pending claims start with this; accepted ones hold the message JSON (which starts with `{`). */
const PENDING = 'p:';
/** A message whose publish outcome is unknown, kept so that a resend republishes it. */
const UNCERTAIN = 'u:';

/**
 * One round trip per send: dedupe check, rate-limit check, seq INCR, rate count and pending
 * claim, atomically. Returns {status, value}.
 * KEYS: sent, rate, seq. ARGV: limit, windowSec, pendingValue, pendingTtlSec.
 */
const ADMIT_LUA = `
local sent = redis.call('GET', KEYS[1])
if sent then
  local tag = string.sub(sent, 1, 2)
  if tag == '${PENDING}' then return {'in-flight', ''} end
  if tag == '${UNCERTAIN}' then
    redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
    return {'uncertain', string.sub(sent, 3)}
  end
  return {'duplicate', sent}
end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if used >= tonumber(ARGV[1]) then
  return {'rate-limited', redis.call('TTL', KEYS[2])}
end
if redis.call('EXISTS', KEYS[3]) == 0 then return {'unseeded', ''} end
local seq = redis.call('INCR', KEYS[3])
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
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

/** Raise the counter to ARGV[1] if it exists and is lower. KEYS: seq. */
const RAISE_LUA = `
local seq = tonumber(redis.call('GET', KEYS[1]))
if seq and seq < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0
`;

interface AdmissionCommands {
  chatAdmit(sent: string, rate: string, seq: string, ...argv: (string | number)[]): Promise<[string, string | number]>;
  chatRelease(sent: string, pending: string): Promise<number>;
  chatMarkUncertain(sent: string, pending: string, uncertain: string, ttlSec: number): Promise<unknown>;
  chatRaiseSeq(seq: string, floor: number): Promise<number>;
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
  redis.defineCommand('chatRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
  redis.defineCommand('chatMarkUncertain', { numberOfKeys: 1, lua: MARK_UNCERTAIN_LUA });
  redis.defineCommand('chatRaiseSeq', { numberOfKeys: 1, lua: RAISE_LUA });
  const commands = redis as unknown as AdmissionCommands;
  const pendingValue = (req: SendRequest) => `${PENDING}${req.messageId}`;

  return {
    async admit(req): Promise<Admission> {
      const [status, value] = await commands
        .chatAdmit(
          keys.sentMessage(req.userId, req.clientMsgId),
          keys.sendRate(req.userId),
          keys.roomSeq(req.roomId),
          opts.ratePerMinute,
          60,
          pendingValue(req),
          opts.pendingTtlSec,
        )
        .catch(redisUnavailable);
      switch (status) {
        case 'accepted':
          return { kind: 'accepted', seq: Number(value) };
        case 'duplicate':
          // Our own record, written by commit() from a validated Message.
          return { kind: 'duplicate', message: JSON.parse(String(value)) as Message };
        case 'rate-limited':
          return { kind: 'rate-limited', retryAfterSec: Math.max(1, Number(value)) };
        case 'uncertain':
          return { kind: 'uncertain', message: JSON.parse(String(value)) as Message };
        case 'in-flight':
          return { kind: 'in-flight' };
        default:
          return { kind: 'unseeded' };
      }
    },
    async commit(req, messageJson) {
      await redis
        .set(keys.sentMessage(req.userId, req.clientMsgId), messageJson, 'EX', opts.dedupeTtlSec)
        .catch(redisUnavailable);
    },
    async release(req) {
      await commands
        .chatRelease(keys.sentMessage(req.userId, req.clientMsgId), pendingValue(req))
        .catch(redisUnavailable);
    },
    async markUncertain(req, messageJson) {
      await commands
        .chatMarkUncertain(
          keys.sentMessage(req.userId, req.clientMsgId),
          pendingValue(req),
          `${UNCERTAIN}${messageJson}`,
          opts.dedupeTtlSec,
        )
        .catch(redisUnavailable);
    },
    async seedSequence(roomId, floor) {
      await redis.set(keys.roomSeq(roomId), floor, 'NX').catch(redisUnavailable);
    },
    async raiseSequence(roomId, floor) {
      await commands.chatRaiseSeq(keys.roomSeq(roomId), floor).catch(redisUnavailable);
    },
    async lastSeq(roomId) {
      const v = await redis.get(keys.roomSeq(roomId)).catch(redisUnavailable);
      return v === null ? null : Number(v);
    },
  };
}
