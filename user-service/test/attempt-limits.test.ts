import { useIsolation } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from './auth-api-suite.js';
import { call, startUserService, type RunningUserService } from './harness.js';

const iso = useIsolation('user-attempt-limits');
let service: RunningUserService;

const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  service = await startUserService(iso(), {
    limits: {
      loginPerUser: { max: 3, windowSec: 60 },
      loginPerIp: { max: 6, windowSec: 60 },
      registerPerIp: { max: 4, windowSec: 60 },
    },
  });
});
afterAll(async () => {
  await service?.close();
});

/** Each test speaks from its own client address (the service trusts loopback's X-Forwarded-For). */
let ipCounter = 0;
const nextIp = () => `203.0.113.${++ipCounter}`;

const login = (username: string, password: string, ip: string) =>
  call(`${service.url}/auth/login`, { body: { username, password }, headers: { 'x-forwarded-for': ip } });
const register = (username: string, ip: string) =>
  call(`${service.url}/auth/register`, { body: { username, password: PASSWORD }, headers: { 'x-forwarded-for': ip } });

describe('login attempt limits (Redis, shared across instances)', () => {
  it('locks a username after its failures from any address, with Retry-After', async () => {
    const name = uniqueName('victim');
    expect((await register(name, nextIp())).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await login(name, 'wrong password', nextIp())).status).toBe(401);
    const locked = await login(name, PASSWORD, nextIp());
    expect(locked.status).toBe(429);
    expect(locked.body.error?.code).toBe('RATE_LIMITED');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('counts parallel guesses: a burst cannot slip past the limit', async () => {
    const name = uniqueName('burst');
    expect((await register(name, nextIp())).status).toBe(201);
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => login(name, 'wrong password', nextIp())))).map(
      (r) => r.status,
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('a successful login clears the username count', async () => {
    const name = uniqueName('forgetful');
    expect((await register(name, nextIp())).status).toBe(201);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) expect((await login(name, 'wrong password', nextIp())).status).toBe(401);
      expect((await login(name, PASSWORD, nextIp())).status).toBe(200);
    }
  });

  it('limits failures per client address across usernames; successes do not count', async () => {
    const ip = nextIp();
    const name = uniqueName('regular');
    expect((await register(name, nextIp())).status).toBe(201);
    for (let i = 0; i < 8; i++) expect((await login(name, PASSWORD, ip)).status).toBe(200);
    for (let i = 0; i < 6; i++) expect((await login(uniqueName('spray'), 'wrong password', ip)).status).toBe(401);
    const limited = await login(uniqueName('spray'), 'wrong password', ip);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is unaffected.
    expect((await login(uniqueName('spray'), 'wrong password', nextIp())).status).toBe(401);
  });

  it('keeps its counters under REDIS_KEY_PREFIX with an expiry', async () => {
    const redis = new Redis(iso().redisUrl);
    try {
      const keys = await redis.keys(`${iso().redisPrefix}login-attempts:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(await redis.ttl(key)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe('registration limit', () => {
  it('answers 429 with Retry-After after too many registrations from one address', async () => {
    const ip = nextIp();
    for (let i = 0; i < 4; i++) expect((await register(uniqueName('reg'), ip)).status).toBe(201);
    const limited = await register(uniqueName('reg'), ip);
    expect(limited.status).toBe(429);
    expect(limited.body.error?.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await register(uniqueName('reg'), nextIp())).status).toBe(201);
  });
});
