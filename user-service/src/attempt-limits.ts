import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import proxyaddr from 'proxy-addr';
import type { UserServiceKeys } from './keys.js';
import { LoginGuard, type LoginAttempt, type LoginLimitSettings } from './login-guard.js';
import { rateLimited, WindowCounter, type Limit } from './rate-limit.js';

export interface AttemptLimitSettings {
  login: LoginLimitSettings;
  registerPerIp: Limit;
  /** Client addresses (proxy-addr names, IPs, CIDRs) whose registrations are not limited. */
  registerExempt: string[];
  refreshPerUser: Limit;
}

/** Every limit of the auth routes, counted in Redis and shared by every instance. */
export class AttemptLimits {
  private readonly counter: WindowCounter;
  private readonly loginGuard: LoginGuard;
  private readonly registerExempt: (ip: string) => boolean;

  constructor(
    redis: Redis,
    private readonly keys: UserServiceKeys,
    private readonly settings: AttemptLimitSettings,
    metrics: Registry,
  ) {
    this.counter = new WindowCounter(redis);
    this.loginGuard = new LoginGuard(redis, keys, settings.login, metrics);
    const exempt = proxyaddr.compile(settings.registerExempt);
    this.registerExempt = (ip) => exempt(ip, 0);
  }

  beginLogin(username: string, ip: string): Promise<LoginAttempt> {
    return this.loginGuard.begin(username, ip);
  }

  loginSucceeded(attempt: LoginAttempt): Promise<void> {
    return this.loginGuard.succeeded(attempt);
  }

  async beginRegistration(ip: string): Promise<void> {
    if (this.registerExempt(ip)) return;
    await this.within(this.keys.registrationsByIp(ip), this.settings.registerPerIp, 'too many registrations');
  }

  /** Refreshes are cheap but unbounded ones are not: a client should need about one per token lifetime. */
  async beginRefresh(userId: string): Promise<void> {
    await this.within(this.keys.refreshesByUser(userId), this.settings.refreshPerUser, 'too many token refreshes');
  }

  private async within(key: string, limit: Limit, what: string): Promise<void> {
    const state = await this.counter.hit(key, limit.windowSec);
    if (state.count > limit.max) throw rateLimited(`${what}; try again later`, state.retryAfterSec);
  }
}
