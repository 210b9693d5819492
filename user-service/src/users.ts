import type { PublicUser } from '@chat/contracts';
import { AppError, forEachInFlight, ID_LOOKUPS_IN_FLIGHT, isDuplicateKeyError } from '@chat/service-kit';
import { Schema, type Connection, type Model } from 'mongoose';

interface UserDoc {
  username: string;
  displayName: string;
  passwordHash: string;
  createdAt: Date;
}

const userSchema = new Schema<UserDoc>(
  {
    // Stored already normalised (lower case) by the contracts' usernameSchema.
    username: { type: String, required: true },
    displayName: { type: String, required: true },
    passwordHash: { type: String, required: true },
  },
  // Fail fast while MongoDB is unreachable instead of queueing requests in memory.
  { timestamps: { createdAt: true, updatedAt: false }, bufferCommands: false, strict: 'throw' },
);
// Serves findOne({username}) for login and user lookup; unique so two registrations of the
// same normalised name cannot both succeed.
userSchema.index({ username: 1 }, { unique: true });

/** Accounts in MongoDB. Only `findCredentials` reads the password hash. */
export class UserStore {
  private readonly model: Model<UserDoc>;

  constructor(conn: Connection) {
    this.model = conn.model<UserDoc>('User', userSchema, 'users');
  }

  /** Build the indexes; call before serving so the unique index guards the first registration. */
  async init(): Promise<void> {
    await this.model.init();
  }

  async create(input: { username: string; displayName: string; passwordHash: string }): Promise<PublicUser> {
    try {
      const doc = await this.model.create(input);
      return toPublic(doc);
    } catch (err) {
      if (isDuplicateKeyError(err)) throw usernameTaken();
      throw unavailable(err);
    }
  }

  async exists(username: string): Promise<boolean> {
    return (await this.query(this.model.exists({ username }))) !== null;
  }

  async findByUsername(username: string): Promise<PublicUser | null> {
    const doc = await this.query(this.model.findOne({ username }, { passwordHash: 0 }).lean());
    return doc ? toPublic(doc) : null;
  }

  async findById(id: string): Promise<PublicUser | null> {
    const doc = await this.query(this.model.findById(id, { passwordHash: 0 }).lean());
    return doc ? toPublic(doc) : null;
  }

  /**
   * Unknown ids are left out. One `_id` lookup each, a few at once: FerretDB 1.x does not push
   * `{_id: {$in}}` down and read every account for it; each `_id` equality is one index probe.
   */
  async findByIds(ids: string[]): Promise<PublicUser[]> {
    const found: PublicUser[] = [];
    await forEachInFlight([...new Set(ids)], ID_LOOKUPS_IN_FLIGHT, async (id) => {
      const user = await this.findById(id);
      if (user) found.push(user);
    });
    return found;
  }

  async findCredentials(username: string): Promise<{ user: PublicUser; passwordHash: string } | null> {
    const doc = await this.query(this.model.findOne({ username }).lean());
    return doc ? { user: toPublic(doc), passwordHash: doc.passwordHash } : null;
  }

  private async query<T>(q: PromiseLike<T>): Promise<T> {
    try {
      return await q;
    } catch (err) {
      throw unavailable(err);
    }
  }
}

export function usernameTaken(): AppError {
  return new AppError('CONFLICT', 'username is taken', { field: 'username' });
}

function unavailable(err: unknown): AppError {
  return new AppError('UNAVAILABLE', 'user store unavailable', { cause: err });
}

function toPublic(doc: { _id: { toString(): string }; username: string; displayName: string }): PublicUser {
  return { id: doc._id.toString(), username: doc.username, displayName: doc.displayName };
}
