import { useIsolation } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from './auth-api-suite.js';
import { call, startUserService, type RunningUserService } from './harness.js';

const iso = useIsolation('user-attempt-limits');
let service: RunningUserService;
let redis: Redis;

const PASSWORD = 'correct horse battery';
const WRONG = 'wrong password';
const LOGIN = { maxPerIp: 8, maxPerUserIp: 3, maxPerUser: 6, windowSec: 60, lockBaseSec: 2, lockMaxSec: 4 };

beforeAll(async () => {
  service = await startUserService(iso(), {
    limits: { login: LOGIN, registerPerIp: { max: 4, windowSec: 60 }, registerExempt: ['198.51.100.0/24'] },
  });
  redis = new Redis(iso().redisUrl);
});
afterAll(async () => {
  redis?.disconnect();
  await service?.close();
});

/** Each test speaks from its own client addresses (the service trusts loopback's X-Forwarded-For). */
let ipCounter = 0;
const nextIp = () => `10.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}.1`;

const login = (username: string, password: string, ip: string) =>
  call(`${service.url}/auth/login`, { body: { username, password }, headers: { 'x-forwarded-for': ip } });
const register = (username: string, ip: string) =>
  call(`${service.url}/auth/register`, { body: { username, password: PASSWORD }, headers: { 'x-forwarded-for': ip } });

async function registered(stem: string): Promise<string> {
  const name = uniqueName(stem);
  expect((await register(name, '198.51.100.1')).status).toBe(201);
  return name;
}

function expectLimited(res: Awaited<ReturnType<typeof login>>, maxSec: number): number {
  expect(res.status).toBe(429);
  expect(res.body.error?.code).toBe('RATE_LIMITED');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(res.body.error?.retryAfterSec).toBe(retryAfter);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxSec);
  return retryAfter;
}

const statuses = async (responses: Promise<{ status: number }>[]) =>
  (await Promise.all(responses)).map((r) => r.status);
const count = (list: number[], status: number) => list.filter((s) => s === status).length;

describe('login limits: brute force stays out, strangers get no lockout button (DESIGN.md §4.1)', () => {
  it('stops brute force from one address, even its right password, and only that address', async () => {
    const name = await registered('victim');
    const attacker = nextIp();
    for (let i = 0; i < LOGIN.maxPerUserIp; i++) expect((await login(name, WRONG, attacker)).status).toBe(401);
    expectLimited(await login(name, WRONG, attacker), LOGIN.windowSec);
    expectLimited(await login(name, PASSWORD, attacker), LOGIN.windowSec);
    // The owner, from an address without failures, is not locked out.
    expect((await login(name, PASSWORD, nextIp())).status).toBe(200);
  });

  it('an address over its limit is refused before anything counts against the username it tries', async () => {
    const sprayer = nextIp();
    for (let i = 0; i < LOGIN.maxPerIp; i++)
      expect((await login(uniqueName('spray'), WRONG, sprayer)).status).toBe(401);
    const victim = await registered('target');
    for (let i = 0; i < 20; i++) expectLimited(await login(victim, WRONG, sprayer), LOGIN.windowSec);
    expect(await redis.exists(`${iso().redisPrefix}login-failures:user:${victim}`)).toBe(0);
    // The victim's whole allowance of failures is still there: none of those 20 counted.
    for (let i = 0; i < LOGIN.maxPerUser; i++) expect((await login(victim, WRONG, nextIp())).status).toBe(401);
    expect((await login(victim, PASSWORD, nextIp())).status).toBe(429);
  });

  it('slows distributed guessing: a short username lock, longer while it goes on, not for the owner’s known address', async () => {
    const name = await registered('popular');
    const home = nextIp();
    expect((await login(name, PASSWORD, home)).status).toBe(200);
    for (let i = 0; i < LOGIN.maxPerUser; i++) expect((await login(name, WRONG, nextIp())).status).toBe(401);
    const firstLock = expectLimited(await login(name, WRONG, nextIp()), LOGIN.lockBaseSec);
    expectLimited(await login(name, PASSWORD, nextIp()), LOGIN.lockBaseSec);
    // The owner signs in from an address it used before, lock or not.
    expect((await login(name, PASSWORD, home)).status).toBe(200);

    await expect
      .poll(async () => (await login(name, WRONG, nextIp())).status, { timeout: 15_000, interval: 250 })
      .toBe(401);
    for (let i = 1; i < LOGIN.maxPerUser; i++) expect((await login(name, WRONG, nextIp())).status).toBe(401);
    const secondLock = expectLimited(await login(name, WRONG, nextIp()), LOGIN.lockMaxSec);
    expect(secondLock).toBeGreaterThan(firstLock);
    expect((await login(name, PASSWORD, home)).status).toBe(200);
  });

  it('counts parallel guesses: a burst cannot slip past either limit', async () => {
    const name = await registered('burst');
    const oneAddress = nextIp();
    const fromOne = await statuses(Array.from({ length: 10 }, () => login(name, WRONG, oneAddress)));
    expect(count(fromOne, 401)).toBe(LOGIN.maxPerUserIp);
    expect(count(fromOne, 429)).toBe(10 - LOGIN.maxPerUserIp);

    const spread = await registered('spread');
    const fromMany = await statuses(Array.from({ length: 12 }, () => login(spread, WRONG, nextIp())));
    expect(count(fromMany, 401)).toBe(LOGIN.maxPerUser);
    expect(count(fromMany, 429)).toBe(12 - LOGIN.maxPerUser);
  });

  it('a successful login gives its attempt back: only failures add up', async () => {
    const name = await registered('forgetful');
    const ip = nextIp();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < LOGIN.maxPerUserIp - 1; i++) expect((await login(name, WRONG, ip)).status).toBe(401);
      expect((await login(name, PASSWORD, ip)).status).toBe(200);
    }
  });

  it('limits failures per client address across usernames; successes do not count', async () => {
    const ip = nextIp();
    const name = await registered('regular');
    for (let i = 0; i < LOGIN.maxPerIp + 2; i++) expect((await login(name, PASSWORD, ip)).status).toBe(200);
    for (let i = 0; i < LOGIN.maxPerIp; i++) expect((await login(uniqueName('spray'), WRONG, ip)).status).toBe(401);
    expectLimited(await login(uniqueName('spray'), WRONG, ip), LOGIN.windowSec);
    expectLimited(await login(name, PASSWORD, ip), LOGIN.windowSec);
    expect((await login(uniqueName('spray'), WRONG, nextIp())).status).toBe(401);
  });

  it('keeps its counters under REDIS_KEY_PREFIX, each with an expiry', async () => {
    const keys = await redis.keys(`${iso().redisPrefix}login-*`);
    expect(keys.length).toBeGreaterThan(0);
    // -1 is a key without expiry; -2 one that expired since KEYS.
    for (const key of keys) expect(await redis.pttl(key), key).not.toBe(-1);
  });

  it('counts refusals by limit and username locks on /metrics', async () => {
    const text = (await call(`${service.url}/metrics`)).text;
    for (const limit of ['address', 'user_address', 'user']) {
      expect(text).toMatch(new RegExp(`login_refused_total\\{[^}]*limit="${limit}"[^}]*\\} [1-9]`));
    }
    // The distributed-guessing test started two locks; the parallel burst one more.
    expect(text).toMatch(/login_user_locks_total\{[^}]*\} [3-9]/);
  });
});

describe('registration limit', () => {
  it('answers 429 with Retry-After after too many registrations from one address', async () => {
    const ip = nextIp();
    for (let i = 0; i < 4; i++) expect((await register(uniqueName('reg'), ip)).status).toBe(201);
    expectLimited(await register(uniqueName('reg'), ip), 60);
    expect((await register(uniqueName('reg'), nextIp())).status).toBe(201);
  });

  it('does not limit addresses in REGISTER_LIMIT_EXEMPT', async () => {
    for (let i = 0; i < 8; i++) expect((await register(uniqueName('exempt'), '198.51.100.7')).status).toBe(201);
  });
});
