import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../lib/accounts.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'socket-test-accounts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A token-shaped string with these claims (the store reads them, never verifies). */
const tokenWith = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;
const nowSec = () => Math.floor(Date.now() / 1000);

describe('the remembered tokens of socket_test.js', () => {
  it('keeps tokens by deployment and username, only while their session lasts, readable by the user alone', async () => {
    const file = join(dir, 'nested', 'accounts.json');
    const live = tokenWith({ sexp: nowSec() + 3600 });
    const store = await AccountStore.open(file);
    store.set('http://a:3000', 'lt_0', live);
    store.set('http://b:3000', 'lt_0', tokenWith({ sexp: nowSec() - 1 }));
    store.set('http://b:3000', 'lt_1', 'not-a-jwt');
    await store.save();
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const again = await AccountStore.open(file);
    expect(again.get('http://a:3000', 'lt_0')).toBe(live);
    expect(again.get('http://b:3000', 'lt_0')).toBeUndefined();
    expect(again.get('http://b:3000', 'lt_1')).toBeUndefined();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ tokens: { 'http://a:3000 lt_0': live } });
  });

  it('starts empty from a damaged file, and remembers nothing without a file', async () => {
    const file = join(dir, 'damaged.json');
    await writeFile(file, '{"tokens": ');
    expect((await AccountStore.open(file)).tokens).toEqual({});
    const none = await AccountStore.open(null);
    none.set('http://a:3000', 'lt_0', tokenWith({ sexp: nowSec() + 60 }));
    await none.save();
  });
});
