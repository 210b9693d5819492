import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
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
  /** Parsed once; signing with the PEM string would parse it on every login. */
  private readonly privateKey: KeyObject;
  private readonly settings: TokenSettings & { ttlSec: number };

  /** Throws ConfigError when the keys are unusable or not a pair, so a bad deploy stops at start. */
  constructor(keys: TokenKeys) {
    this.settings = { issuer: keys.issuer, audience: keys.audience, ttlSec: keys.ttlSec };
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
      probe = this.issue({ id: '0'.repeat(24), username: 'probe', displayName: 'probe' });
    } catch {
      throw new ConfigError('config: JWT_PRIVATE_KEY must be an ES256 (P-256) private key');
    }
    try {
      this.verify(probe);
    } catch {
      throw new ConfigError('config: JWT_PUBLIC_KEY does not verify tokens signed with JWT_PRIVATE_KEY');
    }
  }

  issue(user: PublicUser): string {
    return signToken(
      this.privateKey,
      { userId: user.id, username: user.username, displayName: user.displayName },
      this.settings,
    );
  }
}

function parseKey(parse: () => KeyObject, problem: string): KeyObject {
  try {
    return parse();
  } catch {
    throw new ConfigError(`config: ${problem}`);
  }
}
