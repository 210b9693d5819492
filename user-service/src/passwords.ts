import { randomBytes } from 'node:crypto';
import { PASSWORD_MAX_BYTES } from '@chat/contracts';
import bcrypt from 'bcryptjs';

/** bcrypt hashing with a fixed cost; a hash never leaves this module's callers' storage. */
export class Passwords {
  /** Compared against when the user does not exist, so both failures take the same time. */
  private readonly dummyHash: Promise<string>;

  constructor(private readonly cost: number) {
    this.dummyHash = bcrypt.hash(randomBytes(16).toString('hex'), cost);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  /** Whether `password` matches `hash`; with no hash (unknown user) spends the same time and says no. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    // bcrypt reads only the first 72 bytes; a longer input must not match on its prefix.
    const tooLong = Buffer.byteLength(password) > PASSWORD_MAX_BYTES;
    const matches = await bcrypt.compare(
      tooLong ? password.slice(0, PASSWORD_MAX_BYTES) : password,
      hash ?? (await this.dummyHash),
    );
    return matches && hash !== undefined && !tooLong;
  }
}
