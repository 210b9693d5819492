import type { PublicUser } from '@chat/contracts';
import { ConfigError, createTokenVerifier, signToken, type TokenSettings, type VerifyToken } from '@chat/service-kit';

export interface TokenKeys extends TokenSettings {
  privateKey: string;
  publicKey: string;
  ttlSec: number;
}

/** Issues tokens for users and verifies them; only user-service holds the private key. */
export class Tokens {
  readonly verify: VerifyToken;

  /** Throws ConfigError when the keys are unusable or not a pair, so a bad deploy stops at start. */
  constructor(private readonly keys: TokenKeys) {
    this.verify = createTokenVerifier(keys.publicKey, keys);
    const probe = { userId: '0'.repeat(24), username: 'probe', displayName: 'probe' };
    let token: string;
    try {
      token = signToken(keys.privateKey, probe, keys);
    } catch {
      throw new ConfigError('config: JWT_PRIVATE_KEY must be an ES256 (P-256) private key');
    }
    try {
      this.verify(token);
    } catch {
      throw new ConfigError('config: JWT_PUBLIC_KEY does not verify tokens signed with JWT_PRIVATE_KEY');
    }
  }

  issue(user: PublicUser): string {
    return signToken(
      this.keys.privateKey,
      { userId: user.id, username: user.username, displayName: user.displayName },
      this.keys,
    );
  }
}
