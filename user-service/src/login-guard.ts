import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import type { UserServiceKeys } from './keys.js';
import { limiterCall, rateLimited } from './rate-limit.js';

export interface LoginLimitSettings {
  /** Failed logins from one client address (any usernames) per window. */
  maxPerIp: number;
  /** Failed logins for one username from one address per window: that address alone is locked. */
  maxPerUserIp: number;
  /** Failed logins for one username from addresses it never signed in from, before it is locked. */
  maxPerUser: number;
  windowSec: number;
  /** The first username lock; each further one in a row lasts twice as long, up to lockMaxSec. */
  lockBaseSec: number;
  lockMaxSec: number;
}

/** What beginLogin learnt, needed again when the password turns out right. */
export interface LoginAttempt {
  username: string;
  ip: string;
  /** The user signed in from this address before: the username lock does not apply to it. */
  knownAddress: boolean;
}

/** Addresses remembered per user, and for how long after the last sign-in from each. */
const KNOWN_ADDRESSES_PER_USER = 10;
const KNOWN_ADDRESS_TTL_MS = 30 * 24 * 3600 * 1000;

/**
 * One atomic decision per attempt, so a burst of parallel guesses sees consecutive counts.
 * Refused attempts count for nothing (their password is never checked); an attempt let
 * through counts as a failure everywhere until loginSucceeded gives it back. Order matters:
 * an address over its limit is refused before anything is counted for the username.
 * KEYS: ip, user+ip, user, lock, lock level, known addresses. ARGV: ip, maxPerIp,
 * maxPerUserIp, maxPerUser, windowMs, lockBaseMs, lockMaxMs. Answers {1, known} or
 * {0, retryMs, the limit that refused, 1 when this attempt started a username lock}.
 */
const BEGIN_SCRIPT = `
local function refused(key, limit)
  local ms = redis.call('PTTL', key)
  if ms < 1 then ms = 1000 end
  return {0, ms, limit, 0}
end
local window = tonumber(ARGV[5])
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[2]) then return refused(KEYS[1], 'address') end
local known = redis.call('ZSCORE', KEYS[6], ARGV[1]) ~= false
if not known and redis.call('EXISTS', KEYS[4]) == 1 then return refused(KEYS[4], 'user') end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[3]) then return refused(KEYS[2], 'user_address') end
if not known then
  local n = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], window)
  if n > tonumber(ARGV[4]) then
    local level = redis.call('INCR', KEYS[5])
    redis.call('PEXPIRE', KEYS[5], window + tonumber(ARGV[7]))
    local ms = math.floor(math.min(tonumber(ARGV[7]), tonumber(ARGV[6]) * 2 ^ (level - 1)))
    redis.call('SET', KEYS[4], '1', 'PX', ms)
    redis.call('DEL', KEYS[3])
    return {0, ms, 'user', 1}
  end
end
for i = 1, 2 do
  redis.call('SET', KEYS[i], '0', 'PX', window, 'NX')
  redis.call('INCR', KEYS[i])
end
return {1, known and 1 or 0}
`;

/** KEYS as BEGIN_SCRIPT. ARGV: ip, known (0/1), now ms, addresses kept, their ttl ms. */
const SUCCESS_SCRIPT = `
local function giveBack(key)
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
giveBack(KEYS[1])
redis.call('DEL', KEYS[2])
if ARGV[2] == '0' then giveBack(KEYS[3]) end
redis.call('ZADD', KEYS[6], ARGV[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[5]))
redis.call('ZREMRANGEBYRANK', KEYS[6], 0, -(tonumber(ARGV[4]) + 1))
redis.call('PEXPIRE', KEYS[6], ARGV[5])
return 1
`;

/**
 * Limits on guessing passwords that give a stranger no button to lock an owner out
 * (DESIGN.md §4.1, docs/auth.md): an address that fails too often locks only itself; a
 * username guessed at from many addresses is locked briefly (exponentially longer while it
 * goes on), but not for addresses its owner signed in from before. Shared by every instance.
 */
export class LoginGuard {
  private readonly refusals: Counter<'limit'>;
  private readonly locks: Counter;

  constructor(
    private readonly redis: Redis,
    private readonly keys: UserServiceKeys,
    private readonly settings: LoginLimitSettings,
    metrics: Registry,
  ) {
    // What an operator watches for attacks: refusals by the limit that refused, and username locks.
    this.refusals = new Counter({
      name: 'login_refused_total',
      help: 'Login attempts refused before their password was checked, by limit (address, user_address, user)',
      labelNames: ['limit'],
      registers: [metrics],
    });
    this.locks = new Counter({
      name: 'login_user_locks_total',
      help: 'Username locks started by guessing from many addresses',
      registers: [metrics],
    });
  }

  /** Counts the attempt before the password is checked; RATE_LIMITED when it may not be made. */
  async begin(username: string, ip: string): Promise<LoginAttempt> {
    const s = this.settings;
    const [allowed, value, limit, lockStarted] = (await limiterCall(
      this.redis.eval(
        BEGIN_SCRIPT,
        6,
        ...this.keysOf(username, ip),
        ip,
        s.maxPerIp,
        s.maxPerUserIp,
        s.maxPerUser,
        s.windowSec * 1000,
        s.lockBaseSec * 1000,
        s.lockMaxSec * 1000,
      ),
    )) as [number, number, string?, number?];
    if (allowed !== 1) {
      this.refusals.inc({ limit });
      if (lockStarted === 1) this.locks.inc();
      throw rateLimited('too many failed login attempts; try again later', Math.ceil(value / 1000));
    }
    return { username, ip, knownAddress: value === 1 };
  }

  /** The password was right: the attempt is given back and the address remembered. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    await limiterCall(
      this.redis.eval(
        SUCCESS_SCRIPT,
        6,
        ...this.keysOf(attempt.username, attempt.ip),
        attempt.ip,
        attempt.knownAddress ? 1 : 0,
        Date.now(),
        KNOWN_ADDRESSES_PER_USER,
        KNOWN_ADDRESS_TTL_MS,
      ),
    );
  }

  private keysOf(username: string, ip: string): string[] {
    const k = this.keys;
    return [
      k.loginFailuresByIp(ip),
      k.loginFailuresByUserIp(username, ip),
      k.loginFailuresByUser(username),
      k.loginLock(username),
      k.loginLockLevel(username),
      k.knownAddresses(username),
    ];
  }
}
