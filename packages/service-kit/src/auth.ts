import { createPublicKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { AppError } from './errors.js';

/** Tokens are ES256-signed by user-service only; every other service verifies with the public key. */
export const TOKEN_ALGORITHM = 'ES256' as const;

/** Who a verified token says the caller is. Identity comes from here, never from a payload. */
export interface Identity {
  userId: string;
  username: string;
  displayName: string;
  /** The token's `exp` (unix seconds): a socket authenticated by it lives no longer (DESIGN.md §3). */
  expiresAt?: number;
  /** The login session the token belongs to (`sid`); refreshes keep it (DESIGN.md §2 /auth/refresh). */
  sessionId?: string;
  /** When that session ends for good (`sexp`, unix seconds): no refresh reaches past it. */
  sessionExpiresAt?: number;
}

/** A login session carried by every token issued for it, refreshes included. */
export interface TokenSession {
  id: string;
  /** Unix seconds. */
  expiresAt: number;
}

const claimsSchema = z.object({
  sub: z.string().regex(/^[a-f0-9]{24}$/),
  username: z.string().min(1),
  name: z.string().min(1),
  exp: z.number().optional(),
  sid: z.string().min(1).max(64).optional(),
  sexp: z.number().optional(),
});

export interface TokenSettings {
  issuer: string;
  audience: string;
}

export type VerifyToken = (token: unknown) => Identity;

/** A VerifyToken that remembers the tokens it has verified. */
export interface CachingTokenVerifier extends VerifyToken {
  /** How many verified tokens are remembered now (at most `cacheSize`, which is 1 or more). */
  readonly cachedTokens: number;
}

/** Verified tokens remembered per verifier: a few MB at ~400 bytes a token. */
export const TOKEN_CACHE_SIZE = 10_000;

/**
 * A verifier with the algorithm, issuer and audience pinned; anything else is UNAUTHORIZED.
 * An ES256 verify costs ~0.1 ms, paid by every request of a client that sends the same token
 * again and again: the identities of the last `cacheSize` verified tokens are remembered by the
 * exact token string (any other string, a tampered one too, is verified in full), and `exp` is
 * checked again on every use. Failures are never remembered.
 */
export function createTokenVerifier(
  publicKeyPem: string | KeyObject,
  settings: TokenSettings,
  { cacheSize = TOKEN_CACHE_SIZE }: { cacheSize?: number } = {},
): CachingTokenVerifier {
  // Parsed once: given a PEM string, jsonwebtoken parses it again on every verify (a hot path).
  const publicKey = typeof publicKeyPem === 'string' ? createPublicKey(publicKeyPem) : publicKeyPem;
  // Insertion order is recency order (a hit is moved to the end): the first entry is the least recently used.
  const verified = new Map<string, { identity: Identity; exp: number | undefined }>();
  const verify = (token: unknown): Identity => {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      throw new AppError('UNAUTHORIZED', 'missing or malformed token');
    }
    const known = verified.get(token);
    if (known) {
      verified.delete(token);
      // jsonwebtoken's own rule: expired once the current whole second reaches `exp`.
      if (known.exp !== undefined && Math.floor(Date.now() / 1000) >= known.exp) {
        throw new AppError('UNAUTHORIZED', 'invalid or expired token');
      }
      verified.set(token, known);
      return known.identity;
    }
    let payload: unknown;
    try {
      payload = jwt.verify(token, publicKey, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: settings.issuer,
        audience: settings.audience,
      });
    } catch {
      throw new AppError('UNAUTHORIZED', 'invalid or expired token');
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new AppError('UNAUTHORIZED', 'invalid token claims');
    // Frozen: every later use of this token gets this same object.
    const identity = Object.freeze({
      userId: claims.data.sub,
      username: claims.data.username,
      displayName: claims.data.name,
      expiresAt: claims.data.exp,
      sessionId: claims.data.sid,
      sessionExpiresAt: claims.data.sexp,
    });
    if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
    verified.set(token, { identity, exp: claims.data.exp });
    return identity;
  };
  return Object.defineProperty(verify, 'cachedTokens', { get: () => verified.size }) as CachingTokenVerifier;
}

/**
 * `privateKey`: a PEM string, or a KeyObject parsed once (cheaper when signing often).
 * With a `session`, the token carries it (`sid`, `sexp`) and never outlives it.
 */
export function signToken(
  privateKeyPem: string | KeyObject,
  identity: Pick<Identity, 'userId' | 'username' | 'displayName'>,
  settings: TokenSettings & { ttlSec: number },
  session?: TokenSession,
): string {
  const now = Math.floor(Date.now() / 1000);
  const exp = session ? Math.min(now + settings.ttlSec, session.expiresAt) : now + settings.ttlSec;
  const claims = { username: identity.username, name: identity.displayName, exp, iat: now };
  return jwt.sign(session ? { ...claims, sid: session.id, sexp: session.expiresAt } : claims, privateKeyPem, {
    algorithm: TOKEN_ALGORITHM,
    subject: identity.userId,
    issuer: settings.issuer,
    audience: settings.audience,
  });
}

/** `Authorization: Bearer <token>` → the token, or UNAUTHORIZED. */
export function bearerToken(header: string | undefined): string {
  const m = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header ?? '');
  if (!m) throw new AppError('UNAUTHORIZED', 'missing bearer token');
  return m[1]!;
}

/** PEM from an env var: accepts real newlines or `\n` escapes (one-line .env files). */
export const pemVar = z
  .string()
  .transform((v) => v.replace(/\\n/g, '\n').trim())
  .refine((v) => /^-----BEGIN [A-Z ]+-----\n[\s\S]+\n-----END [A-Z ]+-----$/.test(v), {
    message: 'must be a PEM key',
  });

export const tokenConfigShape = {
  JWT_PUBLIC_KEY: pemVar,
  JWT_ISSUER: z.string().min(1).optional().default('chat-platform'),
  JWT_AUDIENCE: z.string().min(1).optional().default('chat-platform'),
};
