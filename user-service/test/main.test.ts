import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, loadConfig } from '@chat/service-kit';
import { testKeyPair } from '@chat/testing';
import { describe, expect, it } from 'vitest';
import { userServiceConfigSchema } from '../src/config.js';
import { Tokens } from '../src/tokens.js';
import { runEntryPoint } from './run-entry-point.js';

const keys = testKeyPair();
const validKeys = { JWT_PUBLIC_KEY: keys.publicKey, JWT_PRIVATE_KEY: keys.privateKey };

/** The one line loadConfig would stop the service with. */
function configFailure(env: Record<string, string>): string {
  try {
    loadConfig(userServiceConfigSchema, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('config was accepted');
}

describe('user-service configuration', () => {
  it('accepts the keys alone, with the documented defaults', () => {
    const config = loadConfig(userServiceConfigSchema, validKeys);
    expect(config).toMatchObject({
      PORT: 3001,
      BCRYPT_COST: 12,
      JWT_TTL_SEC: 3600,
      SESSION_MAX_SEC: 604_800,
      LOGIN_MAX_FAILURES_PER_IP: 50,
      LOGIN_MAX_FAILURES_PER_USER_IP: 5,
      LOGIN_MAX_FAILURES_PER_USER: 10,
      LOGIN_LOCK_BASE_SEC: 30,
      LOGIN_LOCK_MAX_SEC: 900,
      REGISTER_MAX_PER_IP: 20,
      REGISTER_LIMIT_EXEMPT: [],
    });
    expect(config.TRUST_PROXY).toEqual(['loopback', 'linklocal', 'uniquelocal']);
  });

  it.each([
    ['no keys at all', {}, /^config: JWT_PUBLIC_KEY .*missing.*JWT_PRIVATE_KEY .*missing/],
    ['a malformed port', { ...validKeys, PORT: 'abc' }, /^config: PORT must be an integer 0-65535 \(got "abc"\)$/],
    [
      'a weak bcrypt cost in production',
      { ...validKeys, NODE_ENV: 'production', BCRYPT_COST: '4' },
      /^config: BCRYPT_COST must be at least 10 in production/,
    ],
    [
      'a malformed TRUST_PROXY',
      { ...validKeys, TRUST_PROXY: 'loopback,not-an-ip' },
      /^config: TRUST_PROXY must be none or a comma list/,
    ],
    [
      'a session shorter than a token',
      { ...validKeys, JWT_TTL_SEC: '3600', SESSION_MAX_SEC: '600' },
      /^config: SESSION_MAX_SEC must be at least JWT_TTL_SEC \(got "600"\)$/,
    ],
    [
      'a malformed REGISTER_LIMIT_EXEMPT',
      { ...validKeys, REGISTER_LIMIT_EXEMPT: 'everyone' },
      /^config: REGISTER_LIMIT_EXEMPT must be none or a comma list/,
    ],
    [
      'a key that is not PEM',
      { ...validKeys, JWT_PRIVATE_KEY: 'secret' },
      /^config: JWT_PRIVATE_KEY must be a PEM key \(got <redacted>\)$/,
    ],
  ])('refuses %s with one line', (_label, env, expected) => {
    const line = configFailure(env);
    expect(line).toMatch(expected);
    expect(line).not.toContain('\n');
    expect(line).not.toContain('BEGIN');
  });

  it('refuses a key that is PEM but not a key', () => {
    const notAKey = '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----';
    const settings = { issuer: 'chat-platform', audience: 'chat-platform', ttlSec: 3600, sessionMaxSec: 7200 };
    expect(() => new Tokens({ ...settings, publicKey: keys.publicKey, privateKey: notAKey })).toThrow(
      new ConfigError('config: JWT_PRIVATE_KEY must be an ES256 (P-256) private key'),
    );
  });

  it('refuses keys that are not a pair', () => {
    const other = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const settings = { issuer: 'chat-platform', audience: 'chat-platform', ttlSec: 3600, sessionMaxSec: 7200 };
    expect(() => new Tokens({ ...settings, publicKey: keys.publicKey, privateKey: other.privateKey })).toThrow(
      new ConfigError('config: JWT_PUBLIC_KEY does not verify tokens signed with JWT_PRIVATE_KEY'),
    );
  });

  it('main prints the one line to stderr and exits 1', async () => {
    const { code, stderr, stdout } = await runEntryPoint('user-service/src/main.ts', {
      ...validKeys,
      NODE_ENV: 'production',
      BCRYPT_COST: '4',
    });
    expect(code).toBe(1);
    expect(stderr).toBe('config: BCRYPT_COST must be at least 10 in production (got "4")\n');
    expect(stdout).toBe('');
  });
});
