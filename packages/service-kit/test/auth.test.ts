import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it, vi } from 'vitest';
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
    expect(verify(token)).toMatchObject(identity);
  });

  it('carries the expiry and the login session, and never outlives the session', () => {
    const now = Math.floor(Date.now() / 1000);
    const plain = verify(signToken(keys.privateKey, identity, { ...settings, ttlSec: 60 }));
    expect(plain.expiresAt).toBeGreaterThanOrEqual(now + 59);
    expect(plain.sessionId).toBeUndefined();
    const session = { id: 'sess-1', expiresAt: now + 30 };
    const bounded = verify(signToken(keys.privateKey, identity, { ...settings, ttlSec: 3600 }, session));
    expect(bounded).toMatchObject({
      ...identity,
      sessionId: 'sess-1',
      sessionExpiresAt: now + 30,
      expiresAt: now + 30,
    });
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

  it('a remembered token is refused once it expires, at the second jsonwebtoken refuses it', () => {
    // Only Date is faked: the verifier and jsonwebtoken both read the clock from it.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2030-01-01T00:00:00.400Z'));
      const verifier = createTokenVerifier(keys.publicKey, settings);
      const token = signToken(keys.privateKey, identity, { ...settings, ttlSec: 2 });
      const { exp } = jwt.decode(token) as { exp: number };
      expect(verifier(token)).toMatchObject(identity);
      expect(verifier.cachedTokens).toBe(1);
      vi.setSystemTime(exp * 1000 - 1);
      expect(verifier(token)).toMatchObject(identity);
      expect(createTokenVerifier(keys.publicKey, settings)(token)).toMatchObject(identity);
      vi.setSystemTime(exp * 1000);
      expect(() => createTokenVerifier(keys.publicKey, settings)(token)).toThrow(AppError);
      expect(() => verifier(token)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
      expect(verifier.cachedTokens).toBe(0);
      expect(() => verifier(token)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    } finally {
      vi.useRealTimers();
    }
  });

  it('only the exact token string is remembered: an altered one is verified in full', () => {
    const verifier = createTokenVerifier(keys.publicKey, settings);
    const token = signToken(keys.privateKey, identity, { ...settings, ttlSec: 60 });
    expect(verifier(token)).toMatchObject(identity);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const otherUser = Buffer.from(JSON.stringify({ ...claims, sub: 'b'.repeat(24) })).toString('base64url');
    const flipped = (s: string) => s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    for (const tampered of [
      `${header}.${otherUser}.${signature}`,
      `${header}.${payload}.${flipped(signature)}`,
      `${header}.${payload}.`,
      `${token}x`,
      `${header}.${payload}`,
    ]) {
      expect(() => verifier(tampered)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    }
    expect(verifier.cachedTokens).toBe(1);
    expect(verifier(token)).toMatchObject(identity);
  });

  it('remembers at most cacheSize tokens, dropping the least recently used', () => {
    const verifier = createTokenVerifier(keys.publicKey, settings, { cacheSize: 3 });
    const users = ['1', '2', '3', '4', '5'].map((c) => ({ ...identity, userId: c.repeat(24) }));
    const tokens = users.map((u) => signToken(keys.privateKey, u, { ...settings, ttlSec: 60 }));
    // A remembered token answers with the very object it was first verified into.
    const first = verifier(tokens[0]);
    const seen = tokens.map((token, i) => {
      const answer = verifier(token);
      expect(answer).toMatchObject(users[i]!);
      expect(verifier.cachedTokens).toBe(Math.min(i + 1, 3));
      expect(verifier(tokens[0])).toBe(first); // kept: the most recently used
      return answer;
    });
    expect(verifier(tokens[4])).toBe(seen[4]);
    // Dropped when the fifth came: verified again into a new object.
    expect(verifier(tokens[2])).not.toBe(seen[2]);
    expect(verifier(tokens[2])).toMatchObject(users[2]!);
    expect(verifier.cachedTokens).toBe(3);
  });

  it('reads bearer tokens strictly', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(() => bearerToken('Basic abc')).toThrow(AppError);
    expect(() => bearerToken(undefined)).toThrow(AppError);
  });
});
