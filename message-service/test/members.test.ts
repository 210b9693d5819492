import { createServer, type IncomingMessage, type Server } from 'node:http';
import { dmRoomId, membersResponseSchema, sharedKeys, type Member } from '@chat/contracts';
import { closeServer, listen } from '@chat/service-kit';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoMembershipStore } from '../src/membership-store.js';
import { getJson, joined, read, startService, tokenFor, userId, waitFor, type RunningService } from './helpers.js';

// GET /messages/rooms/:roomId/members and the read limit on both membership routes (DESIGN.md §2, §4.1).
const iso = useIsolation('ms-members');
let service: RunningService;
let limited: RunningService;
let userService: Server;
/** What user-service was asked: the ids and the Authorization header. */
const asked: { ids: string; authorization: string | undefined }[] = [];

const alice = userId();
const bob = userId();
const carol = userId();
const outsider = userId();
const token = tokenFor(alice, 'alice');

/** A user-service answering `GET /auth/users?ids=` for Bob only (Carol is unknown to it). */
function fakeUserService(req: IncomingMessage, res: import('node:http').ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  asked.push({ ids: url.searchParams.get('ids') ?? '', authorization: req.headers.authorization });
  const users = url.pathname === '/auth/users' && url.searchParams.get('ids')?.includes(bob) ? [bob] : [];
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ users: users.map((id) => ({ id, username: 'bob', displayName: 'Bob B.' })) }));
}

beforeAll(async () => {
  userService = createServer(fakeUserService);
  const port = await listen(userService, 0, '127.0.0.1');
  const env = { USER_SERVICE_URL: `http://127.0.0.1:${port}` };
  service = await startService(iso(), { consume: false, env });
  limited = await startService(iso(), { consume: false, env: { ...env, READ_RATE_LIMIT_PER_SEC: '3' } });
  await createMongoMembershipStore(service.mongo).applyMemberEvents([
    joined('lounge', alice, 1_000, 'Alice'),
    joined('lounge', bob, 2_000),
    joined('lounge', carol, 3_000),
    read('lounge', bob, 7),
    joined(dmRoomId(alice, bob), alice, 1_000),
  ]);
});

afterAll(async () => {
  await service?.close();
  await limited?.close();
  if (userService) await closeServer(userService);
});

const membersUrl = (base: string, roomId: string) => `${base}/messages/rooms/${encodeURIComponent(roomId)}/members`;

async function members(roomId = 'lounge', base = service.url): Promise<Member[]> {
  const { status, body } = await getJson(membersUrl(base, roomId), token);
  expect(status).toBe(200);
  return membersResponseSchema.parse(body).members;
}

describe('members', () => {
  it('lists every member with its marker; names from the membership, else from user-service with the caller token, else the id', async () => {
    asked.length = 0;
    expect(await members()).toEqual([
      { userId: alice, displayName: 'Alice', online: false, lastReadSeq: 0 },
      { userId: bob, displayName: 'Bob B.', online: false, lastReadSeq: 7 },
      { userId: carol, displayName: carol, online: false, lastReadSeq: 0 },
    ]);
    expect(asked).toEqual([{ ids: `${bob},${carol}`, authorization: `Bearer ${token}` }]);
  });

  it('online from the presence set: only connections still alive count', async () => {
    const key = sharedKeys(iso().redisPrefix).roomPresence('lounge');
    const now = Date.now();
    await service.redis.zadd(key, now + 60_000, `${bob}:conn-1`, now - 1_000, `${carol}:conn-2`);
    const online = Object.fromEntries((await members()).map((m) => [m.userId, m.online]));
    expect(online).toEqual({ [alice]: false, [bob]: true, [carol]: false });
    await service.redis.del(key);
  });

  it('refuses non-members (403 FORBIDDEN), a direct room to outsiders included', async () => {
    for (const roomId of ['lounge', dmRoomId(alice, bob)]) {
      const { status, body } = await getJson(membersUrl(service.url, roomId), tokenFor(outsider));
      expect(status).toBe(403);
      expect(body.error?.code).toBe('FORBIDDEN');
    }
    // Bob is in the direct room's id but no member yet (no message there).
    expect((await getJson(membersUrl(service.url, dmRoomId(alice, bob)), tokenFor(bob))).status).toBe(403);
    expect((await members(dmRoomId(alice, bob))).map((m) => m.userId)).toEqual([alice]);
  });

  it('with user-service down the names are ids, and the list is still served', async () => {
    await closeServer(userService);
    const names = (await members()).map((m) => m.displayName);
    expect(names).toEqual(['Alice', bob, carol]);
  });
});

describe('hostile requests', () => {
  it('answer 400 INVALID or 401, never 500', async () => {
    const cases: [string, string | undefined, number][] = [
      [`${service.url}/messages/rooms?x=1`, token, 400],
      [`${service.url}/messages/rooms?userId[$ne]=x`, token, 400],
      [`${service.url}/messages/rooms`, undefined, 401],
      [`${service.url}/messages/rooms`, 'not.a.token', 401],
      [`${service.url}/messages/rooms/%24where/members`, token, 400],
      [`${service.url}/messages/rooms/${'a'.repeat(65)}/members`, token, 400],
      [`${service.url}/messages/rooms/dm:zz:yy/members`, token, 400],
      [membersUrl(service.url, dmRoomId(bob, alice).replace(/dm:(\w+):(\w+)/, 'dm:$2:$1')), token, 400],
      [`${service.url}/messages/rooms/lounge/members?limit[$gt]=1`, undefined, 401],
    ];
    for (const [url, bearer, status] of cases) {
      const answer = await getJson(url, bearer);
      expect({ url, status: answer.status }).toEqual({ url, status });
      expect(answer.body.error?.code).toBe(status === 400 ? 'INVALID' : 'UNAUTHORIZED');
    }
  });
});

describe('read limit', () => {
  it('room list and members reads share the per-user budget: 429 RATE_LIMITED with retryAfterSec', async () => {
    const user = userId();
    const bearer = tokenFor(user);
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, () => getJson(`${limited.url}/messages/rooms`, bearer)),
      getJson(membersUrl(limited.url, 'lounge'), bearer),
    ]);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBe(2);
    expect(refused[0]!.body.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterSec: 1 });
    expect(refused[0]!.retryAfter).toBe('1');
    // Served again once the window is over; someone else is not held back meanwhile.
    expect((await getJson(`${limited.url}/messages/rooms`, tokenFor(userId()))).status).toBe(200);
    await waitFor(
      async () => (await getJson(`${limited.url}/messages/rooms`, bearer)).status === 200,
      5_000,
      'served after the window',
    );
  });

  it('with Redis down: members all offline, reads not limited, nothing fails', async () => {
    limited.redis.disconnect();
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => members('lounge', limited.url)));
      for (const list of answers) expect(list.every((m) => !m.online)).toBe(true);
      expect((await getJson(`${limited.url}/messages/rooms`, token)).status).toBe(200);
    } finally {
      await limited.redis.connect().catch(() => undefined);
    }
  });
});
