import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { bearerToken, createTokenVerifier, signToken } from '../src/auth.js';
import { AppError } from '../src/errors.js';

const pair = () =>
  generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const keys = pair();
const settings = { issuer: 'chat-platform', audience: 'chat-platform' };
const identity = { userId: 'a'.repeat(24), username: 'alice', displayName: 'Alice' };
const verify = createTokenVerifier(keys.publicKey, settings);

function unauthorized(token: unknown): string {
  try {
    verify(token);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
  return 'accepted';
}

describe('tokens', () => {
  it('round-trips an identity', () => {
    const token = signToken(keys.privateKey, identity, { ...settings, ttlSec: 60 });
    expect(verify(token)).toEqual(identity);
  });

  it('refuses forged, expired and misaddressed tokens', () => {
    const claims = { username: 'alice', name: 'Alice' };
    const base = { subject: identity.userId, issuer: settings.issuer, audience: settings.audience };
    const none = jwt.sign(claims, '', { ...base, algorithm: 'none' });
    const otherKey = jwt.sign(claims, pair().privateKey, { ...base, algorithm: 'ES256' });
    const hmacWithPublicKey = jwt.sign(claims, 'secret', { ...base, algorithm: 'HS256' });
    const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, keys.privateKey, {
      ...base,
      algorithm: 'ES256',
    });
    const wrongAud = jwt.sign(claims, keys.privateKey, { ...base, audience: 'other', algorithm: 'ES256' });
    const wrongIss = jwt.sign(claims, keys.privateKey, { ...base, issuer: 'evil', algorithm: 'ES256' });
    const noSub = jwt.sign(claims, keys.privateKey, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithm: 'ES256',
    });
    for (const token of [
      none,
      otherKey,
      hmacWithPublicKey,
      expired,
      wrongAud,
      wrongIss,
      noSub,
      '',
      undefined,
      42,
      'x'.repeat(5000),
    ]) {
      expect(unauthorized(token)).toBe('UNAUTHORIZED');
    }
  });

  it('reads bearer tokens strictly', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(() => bearerToken('Basic abc')).toThrow(AppError);
    expect(() => bearerToken(undefined)).toThrow(AppError);
  });
});
