import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, boolVar, intVar, loadConfig, portVar, urlListVar, urlVar } from '../src/config.js';
import { pemVar } from '../src/auth.js';

const schema = z.object({
  PORT: portVar(3001),
  REDIS_URL: urlVar(['redis:'], 'redis://127.0.0.1:6379'),
  MONGO_URL: urlVar(['mongodb:']),
  BATCH: intVar(100, 1, 1000),
  DEBUG: boolVar(false),
  NODES: urlListVar(['http:'], 'http://a:1'),
  JWT_SECRET_KEY: z.string().min(10).optional(),
});

describe('loadConfig', () => {
  it('types and defaults what the environment leaves out', () => {
    const cfg = loadConfig(schema, {
      MONGO_URL: 'mongodb://db:27017/chat',
      DEBUG: 'true',
      NODES: 'http://a:1, http://b:2',
    });
    expect(cfg).toEqual({
      PORT: 3001,
      REDIS_URL: 'redis://127.0.0.1:6379',
      MONGO_URL: 'mongodb://db:27017/chat',
      BATCH: 100,
      DEBUG: true,
      NODES: ['http://a:1', 'http://b:2'],
    });
  });

  it.each([
    [{ MONGO_URL: 'mongodb://x', PORT: 'abc' }, 'config: PORT must be an integer 0-65535 (got "abc")'],
    [{ MONGO_URL: 'mongodb://x', PORT: '70000' }, 'config: PORT must be an integer 0-65535 (got "70000")'],
    [{}, 'config: MONGO_URL'],
    [{ MONGO_URL: 'http://x' }, 'config: MONGO_URL must be a mongodb:// URL (got "http://x")'],
    [{ MONGO_URL: 'mongodb://x', BATCH: '0' }, 'config: BATCH must be an integer 1-1000 (got "0")'],
    [{ MONGO_URL: 'mongodb://x', NODES: 'ftp://a' }, 'config: NODES'],
  ])('fails with one readable line for %j', (env, expected) => {
    let err: unknown;
    try {
      loadConfig(schema, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message.startsWith(expected)).toBe(true);
    expect(message).not.toContain('\n');
  });

  it('takes MongoDB replica-set URLs with several hosts', () => {
    const url = 'mongodb://u:p@a:27017,b:27017,c:27017/chat?replicaSet=rs0';
    expect(loadConfig(schema, { MONGO_URL: url }).MONGO_URL).toBe(url);
    expect(() => loadConfig(schema, { MONGO_URL: 'mongodb://a:1,,b' })).toThrow(ConfigError);
    expect(() => loadConfig(schema, { MONGO_URL: 'redis://a:1,b:2' })).toThrow(ConfigError);
  });

  it('never echoes a secret value', () => {
    expect(() => loadConfig(schema, { MONGO_URL: 'mongodb://x', JWT_SECRET_KEY: 'short' })).toThrow(
      /JWT_SECRET_KEY .*\(got <redacted>\)/,
    );
  });

  it('accepts PEM keys with escaped newlines', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\\nMFkwEw\\n-----END PUBLIC KEY-----';
    expect(pemVar.parse(pem)).toBe('-----BEGIN PUBLIC KEY-----\nMFkwEw\n-----END PUBLIC KEY-----');
    expect(pemVar.safeParse('not a key').success).toBe(false);
  });
});
