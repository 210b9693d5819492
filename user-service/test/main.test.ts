import { generateKeyPairSync } from 'node:crypto';
import { testKeyPair } from '@chat/testing';
import { describe, expect, it } from 'vitest';
import { runEntryPoint } from './run-entry-point.js';

const keys = testKeyPair();
const validKeys = { JWT_PUBLIC_KEY: keys.publicKey, JWT_PRIVATE_KEY: keys.privateKey };

// Concurrent: each case is a separate process start (tsx compiles on the fly, ~2 s each).
describe.concurrent('user-service main: configuration failures stop the process with one line', () => {
  it.each([
    ['no keys at all', {}, /^config: JWT_PUBLIC_KEY .*missing.*JWT_PRIVATE_KEY .*missing/],
    ['a malformed port', { ...validKeys, PORT: 'abc' }, /^config: PORT must be an integer 0-65535 \(got "abc"\)$/],
    [
      'a weak bcrypt cost in production',
      { ...validKeys, NODE_ENV: 'production', BCRYPT_COST: '4' },
      /^config: BCRYPT_COST must be at least 10 in production/,
    ],
    [
      'keys that are not a pair',
      { JWT_PUBLIC_KEY: keys.publicKey, JWT_PRIVATE_KEY: otherPrivateKey() },
      /^config: JWT_PUBLIC_KEY does not verify tokens signed with JWT_PRIVATE_KEY$/,
    ],
  ])('%s', async (_label, env, expected) => {
    const { code, stderr, stdout } = await runEntryPoint('user-service/src/main.ts', env);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
    expect(stderr).not.toContain('BEGIN');
    expect(stdout).toBe('');
  });
});

/** The private half of a second, unrelated pair. */
function otherPrivateKey(): string {
  return generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
}
