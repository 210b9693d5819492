import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import type { PublicUser } from '@chat/contracts';
import {
  AppError,
  ConfigError,
  createTokenVerifier,
  signToken,
  type Identity,
  type TokenSession,
  type TokenSettings,
  type VerifyToken,
} from '@chat/service-kit';

export interface TokenKeys extends TokenSettings {
  privateKey: string;
  publicKey: string;
  ttlSec: number;
  /** A login session's absolute lifetime (SESSION_MAX_SEC): no token of it outlives it. */
  sessionMaxSec: number;
}

/** Issues tokens for users and verifies them; only user-service holds the private key. */
export class Tokens {
  readonly verify: VerifyToken;
  /** Parsed once; signing with the PEM string would parse it on every login. */
  private readonly privateKey: KeyObject;
  private readonly settings: TokenSettings & { ttlSec: number };
  private readonly sessionMaxSec: number;

  /** Throws ConfigError when the keys are unusable or not a pair, so a bad deploy stops at start. */
  constructor(keys: TokenKeys) {
    this.settings = { issuer: keys.issuer, audience: keys.audience, ttlSec: keys.ttlSec };
    this.sessionMaxSec = keys.sessionMaxSec;
    this.privateKey = parseKey(
      () => createPrivateKey(keys.privateKey),
      'JWT_PRIVATE_KEY must be an ES256 (P-256) private key',
    );
    this.verify = createTokenVerifier(
      parseKey(() => createPublicKey(keys.publicKey), 'JWT_PUBLIC_KEY must be an ES256 (P-256) public key'),
      keys,
    );
    let probe: string;
    try {
      probe = this.issue({ id: '0'.repeat(24), username: 'probe', displayName: 'probe' }, this.startSession());
    } catch {
      throw new ConfigError('config: JWT_PRIVATE_KEY must be an ES256 (P-256) private key');
    }
    try {
      this.verify(probe);
    } catch {
      throw new ConfigError('config: JWT_PUBLIC_KEY does not verify tokens signed with JWT_PRIVATE_KEY');
    }
  }

  /** A new login session (register, login): a random id, ending SESSION_MAX_SEC from now. */
  startSession(): TokenSession {
    return { id: randomBytes(16).toString('base64url'), expiresAt: nowSec() + this.sessionMaxSec };
  }

  /**
   * The session a verified token belongs to, for a refresh; UNAUTHORIZED once it has ended.
   * A token issued before sessions existed (no `sid`) starts one that ends SESSION_MAX_SEC
   * after that token was issued, so such a token cannot be refreshed past that either.
   */
  sessionOf(identity: Identity, token: string): TokenSession {
    const session =
      identity.sessionId !== undefined && identity.sessionExpiresAt !== undefined
        ? { id: identity.sessionId, expiresAt: identity.sessionExpiresAt }
        : { id: this.startSession().id, expiresAt: issuedAt(token) + this.sessionMaxSec };
    if (nowSec() >= session.expiresAt) throw new AppError('UNAUTHORIZED', 'session has ended; sign in again');
    return session;
  }

  issue(user: PublicUser, session: TokenSession): string {
    return signToken(
      this.privateKey,
      { userId: user.id, username: user.username, displayName: user.displayName },
      this.settings,
      session,
    );
  }
}

const nowSec = () => Math.floor(Date.now() / 1000);

/** `iat` of a token already verified (so its payload is ours); 0 when absent, i.e. long ended. */
function issuedAt(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat?: unknown };
  return typeof payload.iat === 'number' ? payload.iat : 0;
}

function parseKey(parse: () => KeyObject, problem: string): KeyObject {
  try {
    return parse();
  } catch {
    throw new ConfigError(`config: ${problem}`);
  }
}
