import { connectMongo, createLogger } from '@chat/service-kit';
import { filtersSent, readsWholeCollection, useIsolation } from '@chat/testing';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../src/users.js';

// On the real database (FerretDB here): the members list asks for up to 100 accounts at once,
// and must not read every account to answer.

const iso = useIsolation('us-users');
let conn: Connection;
let users: UserStore;

beforeAll(async () => {
  conn = await connectMongo({
    url: iso().mongoUrl,
    dbName: iso().mongoDbName,
    appName: 'users-test',
    log: createLogger('users-test', 'silent'),
  });
  users = new UserStore(conn);
  await users.init();
});
afterAll(async () => {
  await conn?.close();
});

describe('UserStore.findByIds', () => {
  it('answers the known accounts by lookups the database serves without reading every account', async () => {
    const created = await Promise.all(
      ['ann', 'bob', 'cy'].map((name) => users.create({ username: name, displayName: name, passwordHash: 'x' })),
    );
    const unknown = 'f'.repeat(24);
    const ids = [created[0]!.id, unknown, created[2]!.id, created[0]!.id];

    let found: Awaited<ReturnType<UserStore['findByIds']>> = [];
    const filters = await filtersSent(conn, 'users', async () => {
      found = await users.findByIds(ids);
    });
    expect(found).toHaveLength(2);
    expect(found).toEqual(expect.arrayContaining([created[0], created[2]]));
    expect(filters.length).toBeGreaterThan(0);
    for (const filter of filters)
      expect(await readsWholeCollection(conn, 'users', filter), JSON.stringify(filter)).toBe(false);
  });
});
