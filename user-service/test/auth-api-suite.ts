import { createHmac, generateKeyPairSync } from 'node:crypto';
import { testKeyPair } from '@chat/testing';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { TOKEN_SETTINGS, call } from './harness.js';

/** A token shaped like ours: `sub`, `username`, `name`, `iss`, `aud`, `exp`. */
function claims(over: Record<string, unknown> = {}) {
  return {
    sub: 'a'.repeat(24),
    username: 'forger',
    name: 'Forger',
    iss: TOKEN_SETTINGS.issuer,
    aud: TOKEN_SETTINGS.audience,
    exp: Math.floor(Date.now() / 1000) + 600,
    ...over,
  };
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function forgedTokens(subject: string): Record<string, string> {
  const real = testKeyPair();
  const other = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const body = claims({ sub: subject });
  const es256 = (payload: object, key = real.privateKey) => jwt.sign(payload, key, { algorithm: 'ES256' });
  const hsHeader = b64url({ alg: 'HS256', typ: 'JWT' });
  const hsSigned = `${hsHeader}.${b64url(body)}`;
  return {
    'alg none': `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(body)}.`,
    'signed with another key': es256(body, other.privateKey),
    // The classic confusion: HMAC keyed with the public key.
    'HS256 keyed with the public key': `${hsSigned}.${createHmac('sha256', real.publicKey).update(hsSigned).digest('base64url')}`,
    expired: es256(claims({ sub: subject, exp: Math.floor(Date.now() / 1000) - 10 })),
    'wrong audience': es256(claims({ sub: subject, aud: 'someone-else' })),
    'wrong issuer': es256(claims({ sub: subject, iss: 'someone-else' })),
    'payload tampered': (() => {
      const [h, , s] = es256(body).split('.');
      return `${h}.${b64url(claims({ sub: subject, username: 'admin' }))}.${s}`;
    })(),
  };
}

let counter = 0;
/** A fresh valid username per test so tests in one file never collide. */
export const uniqueName = (stem: string) => `${stem}_${process.pid}_${++counter}`.slice(0, 32);

/**
 * The public auth API (DESIGN.md §2), asserted against a base URL: user-service directly or
 * the gateway in front of it. Register limits must be generous where this runs.
 */
export function describeAuthApi(base: () => string): void {
  const url = (path: string) => `${base()}${path}`;
  const register = (username: string, password = 'correct horse battery', displayName?: string) =>
    call(url('/auth/register'), { body: { username, password, ...(displayName ? { displayName } : {}) } });

  describe('register, login, me, lookup', () => {
    it('registers, logs in, reads itself and looks up another user', async () => {
      const alice = uniqueName('alice');
      const reg = await register(alice, 'correct horse battery', 'Alice A.');
      expect(reg.status).toBe(201);
      expect(reg.body.user).toEqual({
        id: expect.stringMatching(/^[a-f0-9]{24}$/),
        username: alice,
        displayName: 'Alice A.',
      });
      expect(reg.text).not.toMatch(/passwordHash|\$2[aby]\$/);

      const decoded = jwt.verify(reg.body.token!, testKeyPair().publicKey, { algorithms: ['ES256'] }) as jwt.JwtPayload;
      expect(decoded).toMatchObject({
        sub: reg.body.user!.id,
        username: alice,
        name: 'Alice A.',
        ...{ iss: 'chat-platform', aud: 'chat-platform' },
      });
      expect(decoded.exp! - decoded.iat!).toBe(3600);

      const login = await call(url('/auth/login'), { body: { username: alice, password: 'correct horse battery' } });
      expect(login.status).toBe(200);
      expect(login.body.user).toEqual(reg.body.user);
      expect(login.text).not.toMatch(/passwordHash|\$2[aby]\$/);

      const me = await call(url('/auth/me'), { token: login.body.token! });
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ user: reg.body.user });

      const bob = uniqueName('bob');
      const bobReg = await register(bob);
      expect(bobReg.body.user!.displayName).toBe(bob);
      const lookup = await call(url(`/auth/users/${bob}`), { token: login.body.token! });
      expect(lookup.status).toBe(200);
      expect(lookup.body).toEqual({ user: bobReg.body.user });
      expect(lookup.text).not.toMatch(/passwordHash|\$2[aby]\$/);
    });

    it('normalises usernames to lower case: login, lookup and uniqueness ignore case', async () => {
      const name = uniqueName('Carol');
      const reg = await register(name.toUpperCase());
      expect(reg.status).toBe(201);
      expect(reg.body.user!.username).toBe(name.toLowerCase());
      expect((await register(name.toLowerCase())).status).toBe(409);
      const login = await call(url('/auth/login'), { body: { username: name, password: 'correct horse battery' } });
      expect(login.status).toBe(200);
      const lookup = await call(url(`/auth/users/${name.toUpperCase()}`), { token: login.body.token! });
      expect(lookup.body.user?.id).toBe(reg.body.user!.id);
    });

    it('answers 404 NOT_FOUND for an unknown user', async () => {
      const token = (await register(uniqueName('dave'))).body.token!;
      const res = await call(url(`/auth/users/${uniqueName('nobody')}`), { token });
      expect(res.status).toBe(404);
      expect(res.body.error?.code).toBe('NOT_FOUND');
    });
  });

  describe('refresh and lookup by ids', () => {
    it('POST /auth/refresh answers the user and a fresh token of the same session', async () => {
      const reg = await register(uniqueName('rita'));
      const first = jwt.decode(reg.body.token!) as jwt.JwtPayload;
      expect(first.sid).toEqual(expect.any(String));
      expect(first.sexp! - first.iat!).toBe(7 * 24 * 3600);
      const refreshed = await call(url('/auth/refresh'), { method: 'POST', token: reg.body.token! });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.user).toEqual(reg.body.user);
      const next = jwt.verify(refreshed.body.token!, testKeyPair().publicKey, {
        algorithms: ['ES256'],
      }) as jwt.JwtPayload;
      expect(next).toMatchObject({ sub: reg.body.user!.id, sid: first.sid, sexp: first.sexp });
      expect(next.exp).toBeGreaterThanOrEqual(first.exp!);
      // A new login is a new session.
      const login = await call(url('/auth/login'), {
        body: { username: reg.body.user!.username, password: 'correct horse battery' },
      });
      expect((jwt.decode(login.body.token!) as jwt.JwtPayload).sid).not.toBe(first.sid);
      expect((await call(url('/auth/refresh'), { method: 'POST' })).status).toBe(401);
    });

    it('GET /auth/users?ids= answers the known users of 1-100 ids', async () => {
      const a = (await register(uniqueName('ida'))).body;
      const b = (await register(uniqueName('idb'))).body.user!;
      const unknown = 'f'.repeat(24);
      const res = await call(url(`/auth/users?ids=${b.id},${unknown},${a.user!.id},${b.id}`), { token: a.token! });
      expect(res.status).toBe(200);
      const users = res.body.users as unknown[];
      expect(users).toHaveLength(2);
      expect(users).toEqual(expect.arrayContaining([a.user, b]));
      expect(res.text).not.toMatch(/passwordHash|\$2[aby]\$/);
      const many = Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(24, '0')).join(',');
      for (const query of [
        '',
        '?ids=',
        `?ids=${many}`,
        '?ids=nothex',
        `?ids=${b.id}&ids=${b.id}`,
        `?ids=${b.id}&x=1`,
      ]) {
        const bad = await call(url(`/auth/users${query}`), { token: a.token! });
        expect(bad.status, query).toBe(400);
        expect(bad.body.error?.code, query).toBe('INVALID');
      }
      expect((await call(url(`/auth/users?ids=${b.id}`))).status).toBe(401);
    });
  });

  describe('errors', () => {
    it('409 CONFLICT for a taken username, also when registrations race', async () => {
      const name = uniqueName('erin');
      expect((await register(name)).status).toBe(201);
      const again = await register(name);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'CONFLICT', field: 'username' });

      const racer = uniqueName('race');
      const results = await Promise.all(Array.from({ length: 6 }, () => register(racer)));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    });

    it('the same 401 for an unknown user and a wrong password', async () => {
      const name = uniqueName('frank');
      await register(name);
      const wrong = await call(url('/auth/login'), { body: { username: name, password: 'not the password' } });
      const unknown = await call(url('/auth/login'), {
        body: { username: uniqueName('ghost'), password: 'not the password' },
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body.error?.code).toBe('UNAUTHORIZED');
    });

    it('a login password longer than 72 bytes never matches on its first 72 bytes', async () => {
      const name = uniqueName('gina');
      const password = 'p'.repeat(72);
      expect((await register(name, password)).status).toBe(201);
      expect((await call(url('/auth/login'), { body: { username: name, password } })).status).toBe(200);
      const longer = await call(url('/auth/login'), { body: { username: name, password: `${password}extra` } });
      expect(longer.status).toBe(401);
    });

    it.each([
      ['short password', { username: 'valid_name', password: 'short' }, 'password'],
      ['password over 72 bytes (multi-byte)', { username: 'valid_name', password: 'é'.repeat(37) }, 'password'],
      ['bad username characters', { username: 'no spaces', password: 'long enough pw' }, 'username'],
      ['username too short', { username: 'ab', password: 'long enough pw' }, 'username'],
      ['missing username', { password: 'long enough pw' }, 'username'],
      ['operator object as username', { username: { $ne: null }, password: 'long enough pw' }, 'username'],
      ['unknown field', { username: 'valid_name', password: 'long enough pw', isAdmin: true }, undefined],
    ])('register: 400 INVALID for %s', async (_label, body, field) => {
      const res = await call(url('/auth/register'), { body });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('INVALID');
      if (field) expect(res.body.error?.field).toBe(field);
    });

    it.each([
      ['operator object as username', { username: { $ne: null }, password: 'x' }, 'username'],
      ['operator object as password', { username: 'valid_name', password: { $ne: null } }, 'password'],
      ['$where as password', { username: 'valid_name', password: { $where: 'sleep(1000)' } }, 'password'],
      ['empty password', { username: 'valid_name', password: '' }, 'password'],
    ])('login: 400 INVALID for %s', async (_label, body, field) => {
      const res = await call(url('/auth/login'), { body });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID', field });
    });

    it('400 INVALID_JSON for a malformed body; a body that is not an object is INVALID', async () => {
      const bad = await call(url('/auth/login'), { rawBody: '{"username": "x",' });
      expect(bad.status).toBe(400);
      expect(bad.body.error?.code).toBe('INVALID_JSON');
      const notObject = await call(url('/auth/register'), { rawBody: '"just a string"' });
      expect(notObject.status).toBe(400);
    });

    it('a query operator (`?x[$ne]=`) is refused with 400, never read', async () => {
      const token = (await register(uniqueName('hank'))).body.token!;
      for (const path of ['/auth/me?x[$ne]=', `/auth/users/hank?username[$ne]=null`]) {
        const res = await call(url(path), { token });
        expect(res.status, path).toBe(400);
        expect(res.body.error?.code).toBe('INVALID');
      }
      const login = await call(url('/auth/login?username[$ne]=null'), {
        body: { username: 'hank_x', password: 'whatever!' },
      });
      expect(login.status).toBe(400);
    });

    it('413 PAYLOAD_TOO_LARGE for an oversized body', async () => {
      const res = await call(url('/auth/register'), { body: { username: 'big_one', password: 'x'.repeat(64 * 1024) } });
      expect(res.status).toBe(413);
      expect(res.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('401 without a token or with a malformed Authorization header', async () => {
      const headerSets: Record<string, string>[] = [
        {},
        { authorization: 'Basic abc' },
        { authorization: 'Bearer ' },
        { authorization: 'Bearer a.b.c' },
      ];
      for (const headers of headerSets) {
        const res = await call(url('/auth/me'), { headers });
        expect(res.status).toBe(401);
        expect(res.body.error?.code).toBe('UNAUTHORIZED');
      }
      expect((await call(url('/auth/users/someone'))).status).toBe(401);
    });

    it('401 for forged tokens: alg none, another key, HS256 confusion, expired, wrong audience or issuer, tampered', async () => {
      const victim = (await register(uniqueName('ivy'))).body.user!;
      for (const [label, token] of Object.entries(forgedTokens(victim.id))) {
        const me = await call(url('/auth/me'), { token });
        expect(me.status, label).toBe(401);
        expect(me.body.error?.code, label).toBe('UNAUTHORIZED');
        const lookup = await call(url(`/auth/users/${victim.username}`), { token });
        expect(lookup.status, label).toBe(401);
      }
    });

    it('answers unknown routes with a JSON 404', async () => {
      const res = await call(url('/auth/nothing-here'));
      expect(res.status).toBe(404);
      expect(res.body.error?.code).toBe('NOT_FOUND');
    });
  });
}
