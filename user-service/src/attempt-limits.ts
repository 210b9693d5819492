import type { UserServiceKeys } from './keys.js';
import { rateLimited, type Limit, type WindowCounter, type WindowState } from './rate-limit.js';

export interface AttemptLimitSettings {
  loginPerUser: Limit;
  loginPerIp: Limit;
  registerPerIp: Limit;
}

/**
 * Limits on guessing passwords (per username and per client IP) and on creating accounts
 * (per IP). A login attempt is counted before the password is checked, so parallel guesses
 * are counted too; a successful login gives its count back, so only failures add up.
 */
export class AttemptLimits {
  constructor(
    private readonly counter: WindowCounter,
    private readonly keys: UserServiceKeys,
    private readonly settings: AttemptLimitSettings,
  ) {}

  async beginLogin(username: string, ip: string): Promise<void> {
    const { loginPerUser, loginPerIp } = this.settings;
    const [byUser, byIp] = await Promise.all([
      this.counter.hit(this.keys.loginAttemptsByUser(username), loginPerUser.windowSec),
      this.counter.hit(this.keys.loginAttemptsByIp(ip), loginPerIp.windowSec),
    ]);
    const over = [exceeded(byUser, loginPerUser), exceeded(byIp, loginPerIp)].filter((s) => s !== null);
    if (over.length > 0) {
      throw rateLimited(
        'too many failed login attempts; try again later',
        Math.max(...over.map((s) => s.retryAfterSec)),
      );
    }
  }

  async loginSucceeded(username: string, ip: string): Promise<void> {
    await Promise.all([
      this.counter.reset(this.keys.loginAttemptsByUser(username)),
      this.counter.refund(this.keys.loginAttemptsByIp(ip)),
    ]);
  }

  async beginRegistration(ip: string): Promise<void> {
    const limit = this.settings.registerPerIp;
    const state = await this.counter.hit(this.keys.registrationsByIp(ip), limit.windowSec);
    if (exceeded(state, limit)) throw rateLimited('too many registrations; try again later', state.retryAfterSec);
  }
}

function exceeded(state: WindowState, limit: Limit): WindowState | null {
  return state.count > limit.max ? state : null;
}
