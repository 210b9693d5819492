import { seededRandom, useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from './auth-api-suite.js';
import { call, startUserService, type RunningUserService } from './harness.js';

const iso = useIsolation('user-hostile-input');
let service: RunningUserService;

beforeAll(async () => {
  service = await startUserService(iso());
});
afterAll(async () => {
  await service?.close();
});

const HOSTILE_STRINGS = [
  'a\u0000b',
  '\u0000',
  'name\u0007',
  '\u001b[31m',
  '\u007f',
  '\ud800',
  'x\udc00y',
  '\ud83d',
  'é'.repeat(40),
  '😀'.repeat(20),
  ' ',
  '',
  'x'.repeat(5000),
  '__proto__',
  'constructor',
  '$ne',
  '{"$gt":""}',
  '../../etc/passwd',
  '%00',
  '\u202eevil',
  'valid_name',
  'correct horse battery',
];
const HOSTILE_VALUES: unknown[] = [
  ...HOSTILE_STRINGS,
  null,
  true,
  0,
  -1,
  1e308,
  [],
  ['a'],
  {},
  { $ne: null },
  { $where: 'sleep(1000)' },
  { __proto__: { admin: true } },
  [[[[[]]]]],
];

/** The well-formed fields of each route's body. */
const VALID: Record<string, Record<string, () => unknown>> = {
  '/auth/register': {
    username: () => uniqueName('fz'),
    password: () => 'long enough password',
    displayName: () => 'Fuzzy',
  },
  '/auth/login': { username: () => uniqueName('fz'), password: () => 'long enough password' },
};

const validBody = (path: string) =>
  Object.fromEntries(Object.entries(VALID[path]!).map(([field, valid]) => [field, valid()]));

/** Every hostile value in every field once (the rest well-formed), for each route. */
function* systematicBodies(): Generator<[string, unknown]> {
  for (const path of Object.keys(VALID)) {
    for (const field of Object.keys(VALID[path]!)) {
      for (const value of HOSTILE_VALUES) yield [path, { ...validBody(path), [field]: value }];
    }
  }
}

/** Random mixes: each field hostile half of the time, now and then an extra field or no object at all. */
function randomBody(next: () => number): [string, unknown] {
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]!;
  const path = pick(Object.keys(VALID));
  if (next() < 0.05) return [path, pick(HOSTILE_VALUES)];
  const body: Record<string, unknown> = validBody(path);
  for (const field of Object.keys(body)) if (next() < 0.5) body[field] = pick(HOSTILE_VALUES);
  if (next() < 0.1) body[pick(['__proto__', 'constructor', 'isAdmin'])] = pick(HOSTILE_VALUES);
  return [path, body];
}

describe('hostile input to user-service (issue 11)', () => {
  it('a NUL in a display name is 400 INVALID, and nothing is stored', async () => {
    const username = uniqueName('nul');
    const res = await call(`${service.url}/auth/register`, {
      body: { username, password: 'correct horse battery', displayName: 'a\u0000b' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID', field: 'displayName' });
    const login = await call(`${service.url}/auth/login`, { body: { username, password: 'correct horse battery' } });
    expect(login.status).toBe(401);
  });

  it('answers hostile register and login bodies with a 4xx, never a 5xx, and stays up', async () => {
    const { next } = seededRandom(11);
    const seen = new Map<number, number>();
    const cases = [...systematicBodies()];
    while (cases.length < 600) cases.push(randomBody(next));
    for (const [i, [path, body]] of cases.entries()) {
      // Past the systematic ones, every fifth body is cut short or salted with raw bytes: malformed JSON on the wire.
      const json = JSON.stringify(body) ?? 'null';
      const rawBody =
        i > 200 && i % 5 === 4
          ? json.slice(0, Math.floor(next() * json.length)) + String.fromCharCode(next() * 256)
          : json;
      const res = await call(`${service.url}${path}`, { rawBody });
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      expect(res.status, `${path} ${JSON.stringify(body)?.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
      expect(res.status, `${path} ${JSON.stringify(body)?.slice(0, 300)}`).toBeLessThan(500);
      if (res.status >= 400) expect(res.body.error?.code).toEqual(expect.any(String));
    }
    // Mostly refused as invalid; the odd well-formed body registers or fails to log in.
    expect(seen.get(400)).toBeGreaterThan(300);
    expect((await call(`${service.url}/health`)).status).toBe(200);
  });

  it('answers hostile paths, headers and ?ids= queries with a 4xx, never a 5xx', async () => {
    const { token } = (
      await call(`${service.url}/auth/register`, { body: { username: uniqueName('q'), password: 'long enough pw' } })
    ).body;
    for (const query of [
      'ids[$ne]=x',
      'ids[]=aaaaaaaaaaaaaaaaaaaaaaaa',
      `ids=${'a'.repeat(24)}%00`,
      'ids=%ZZ',
      `ids=${',a'.repeat(3000)}`,
      'ids=__proto__',
      '__proto__[ids]=x',
    ]) {
      const res = await call(`${service.url}/auth/users?${query}`, { token: token! });
      expect(res.status, query).toBe(400);
    }
    // Bad percent-encoding in a path parameter (`/auth/users/%F0%28`) is service-kit's error handler's to answer.
    for (const path of ['/auth/users/%00', '/auth/users/%2e%2e', `/auth/users/${'a'.repeat(5000)}`]) {
      const res = await call(`${service.url}${path}`, { token: token! });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
    // The client address as a trusted proxy reports it: anything at all, still only counted.
    for (const forwarded of ['not-an-ip', '', ' , ,', 'x'.repeat(4000), '1.2.3.4, ::ffff:300.1.1.1']) {
      const res = await call(`${service.url}/auth/login`, {
        body: { username: 'valid_name', password: 'whatever!' },
        headers: { 'x-forwarded-for': forwarded },
      });
      expect(res.status, forwarded).toBe(401);
    }
    expect((await call(`${service.url}/health`)).status).toBe(200);
  });
});
