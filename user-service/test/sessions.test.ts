import { testKeyPair, useIsolation } from '@chat/testing';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from './auth-api-suite.js';
import { call, startUserService, TOKEN_SETTINGS, type RunningUserService } from './harness.js';

const iso = useIsolation('user-sessions');
let service: RunningUserService;

/** A session this short shows its end in a test; tokens would live longer than it but never do. */
const SESSION_MAX_SEC = 5;
const REFRESH_MAX = 4;

beforeAll(async () => {
  service = await startUserService(iso(), {
    sessionMaxSec: SESSION_MAX_SEC,
    ttlSec: 3600,
    limits: { refreshPerUser: { max: REFRESH_MAX, windowSec: 60 } },
  });
});
afterAll(async () => {
  await service?.close();
});

const claimsOf = (token: string) =>
  jwt.verify(token, testKeyPair().publicKey, { algorithms: ['ES256'] }) as jwt.JwtPayload;
const refresh = (token: string) => call(`${service.url}/auth/refresh`, { method: 'POST', token });
const nowSec = () => Math.floor(Date.now() / 1000);

async function registered(): Promise<{ id: string; token: string }> {
  const res = await call(`${service.url}/auth/register`, {
    body: { username: uniqueName('sess'), password: 'correct horse battery' },
  });
  expect(res.status).toBe(201);
  return { id: res.body.user!.id, token: res.body.token! };
}

/** A token as issued before sessions: no `sid`/`sexp`, issued `ageSec` ago. */
function legacyToken(userId: string, ageSec: number): string {
  const iat = nowSec() - ageSec;
  return jwt.sign({ username: 'legacy', name: 'legacy', iat, exp: nowSec() + 600 }, testKeyPair().privateKey, {
    algorithm: 'ES256',
    subject: userId,
    ...TOKEN_SETTINGS,
  });
}

describe('login sessions and POST /auth/refresh (DESIGN.md §2)', () => {
  it('every token of a session ends with it; refresh keeps the session and 401s once it has ended', async () => {
    const { token } = await registered();
    const first = claimsOf(token);
    expect(first.sexp).toBe(first.iat! + SESSION_MAX_SEC);
    // exp = min(now + JWT_TTL_SEC, sexp): here the session is the shorter.
    expect(first.exp).toBe(first.sexp);

    const refreshed = await refresh(token);
    expect(refreshed.status).toBe(200);
    const next = claimsOf(refreshed.body.token!);
    expect(next).toMatchObject({ sid: first.sid, sexp: first.sexp, exp: first.sexp });

    let latest = refreshed.body.token!;
    await expect
      .poll(
        async () => {
          const res = await refresh(latest);
          if (res.status === 200) latest = res.body.token!;
          else expect(res.body.error?.code).toBe('UNAUTHORIZED');
          return res.status;
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toBe(401);
    expect(nowSec()).toBeGreaterThanOrEqual(first.sexp!);
    expect((jwt.decode(latest) as jwt.JwtPayload).sexp).toBe(first.sexp);
  });

  it('a token from before sessions may be refreshed within SESSION_MAX_SEC of its issue, starting a session', async () => {
    const { id } = await registered();
    const fresh = legacyToken(id, 1);
    const res = await refresh(fresh);
    expect(res.status).toBe(200);
    const claims = claimsOf(res.body.token!);
    expect(claims.sid).toEqual(expect.any(String));
    expect(claims.sexp).toBe((jwt.decode(fresh) as jwt.JwtPayload).iat! + SESSION_MAX_SEC);

    const old = await refresh(legacyToken(id, SESSION_MAX_SEC + 1));
    expect(old.status).toBe(401);
    expect(old.body.error?.code).toBe('UNAUTHORIZED');
  });

  it('refuses expired, forged and absent tokens', async () => {
    const { id } = await registered();
    const expired = jwt.sign(
      { username: 'x', name: 'x', exp: nowSec() - 5, sid: 'abc', sexp: nowSec() + 60 },
      testKeyPair().privateKey,
      { algorithm: 'ES256', subject: id, ...TOKEN_SETTINGS },
    );
    const [h, , s] = legacyToken(id, 1).split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: id, sexp: nowSec() + 9999 })).toString('base64url')}.${s}`;
    for (const token of [expired, tampered, 'a.b.c']) expect((await refresh(token)).status).toBe(401);
    expect((await call(`${service.url}/auth/refresh`, { method: 'POST' })).status).toBe(401);
  });

  it('limits refreshes per user with 429 and Retry-After', async () => {
    const { token } = await registered();
    for (let i = 0; i < REFRESH_MAX; i++) expect((await refresh(token)).status).toBe(200);
    const limited = await refresh(token);
    expect(limited.status).toBe(429);
    expect(limited.body.error?.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
