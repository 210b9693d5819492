import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { testKeyPair } from '@chat/testing';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Run user-service's real entry point with `env` and collect how it ends. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'user-service/src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

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
    const { code, stderr, stdout } = await runMain(env);
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
