import type { AuthResponse } from '@chat/contracts';
import { ApiError } from '../api/http.js';
import { tokenLifetime } from './jwt.js';
import { clearSession, loadSession, parseSession, saveSession, SESSION_KEY, type Session } from './session-store.js';
import { clearTypedData } from './user-storage.js';

export interface SessionKeeperDeps {
  /** POST /auth/refresh with the current token. */
  refresh: (token: string) => Promise<AuthResponse>;
  storage?: Storage;
  now?: () => number;
  /** Runs `task` while no other tab runs one under the same name (Web Locks where available). */
  exclusive?: (task: () => Promise<void>) => Promise<void>;
}

/** Refresh when this share of the token's life has passed (plus up to 5% jitter, spreading tabs apart). */
const REFRESH_AT_SHARE = 0.8;
const REFRESH_JITTER_SHARE = 0.05;
/** A refresh that failed for a reason other than the session's end is tried again after this. */
const RETRY_MS = 10_000;
/** A server refusing a token this young means refreshing cannot help: the session is over. */
const FRESH_TOKEN_MS = 10_000;
const LOCK_NAME = 'chat.session.refresh';

/** Across tabs of one browser, one refresh at a time (tabs share the session in localStorage). */
async function webLockExclusive(task: () => Promise<void>): Promise<void> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return task();
  await locks.request(LOCK_NAME, async () => {
    await task();
  });
}

/**
 * The signed-in session, kept fresh: refreshes its token before it expires (at ~80% of its
 * life, or when a server says it is about to expire or refuses it), shares it with the other
 * tabs through localStorage, and ends it only when the server refuses to refresh (the
 * session's absolute lifetime is over) or the user logs out — in every tab.
 */
export class SessionKeeper {
  private session: Session | null;
  private readonly listeners = new Set<() => void>();
  private readonly storage: Storage;
  private readonly now: () => number;
  private readonly exclusive: (task: () => Promise<void>) => Promise<void>;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renewing: Promise<void> | undefined;
  /** When this tab last got a token (signed in, refreshed or adopted from another tab). */
  private gotTokenAt = 0;

  constructor(private readonly deps: SessionKeeperDeps) {
    this.storage = deps.storage ?? localStorage;
    this.now = deps.now ?? Date.now;
    this.exclusive = deps.exclusive ?? webLockExclusive;
    this.session = loadSession(this.storage);
  }

  getSession = (): Session | null => this.session;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  start(): void {
    window.addEventListener('storage', this.onStorage);
    this.schedule();
  }

  stop(): void {
    window.removeEventListener('storage', this.onStorage);
    clearTimeout(this.timer);
  }

  signIn(auth: AuthResponse): void {
    const session = { token: auth.token, user: auth.user };
    saveSession(session, this.storage);
    this.set(session);
  }

  /** The user logs out: the session and what they typed are forgotten, in every tab. */
  signOut(): void {
    if (this.session) clearTypedData(this.session.user.id, this.storage);
    this.end();
  }

  /** Get a fresh token now (a server said the current one expires soon). Concurrent calls share one refresh. */
  renew(): Promise<void> {
    this.renewing ??= this.exclusive(() => this.refreshUnlessShared()).finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  /** A server refused `token`: refresh, unless it is already replaced or was too fresh to be the problem. */
  tokenRefused(token: string): void {
    if (!this.session || token !== this.session.token) return;
    if (this.now() - this.gotTokenAt < FRESH_TOKEN_MS) return this.end();
    void this.renew();
  }

  // ---- internals ----

  private async refreshUnlessShared(): Promise<void> {
    const mine = this.session;
    if (!mine) return;
    // Another tab may have refreshed while this one waited for the lock: use its token.
    const stored = loadSession(this.storage);
    if (stored && stored.user.id === mine.user.id && stored.token !== mine.token) {
      return this.set(stored);
    }
    try {
      const auth = await this.deps.refresh(mine.token);
      if (this.session?.token !== mine.token) return; // signed out or replaced meanwhile
      this.signIn(auth);
    } catch (err) {
      if (this.session?.token !== mine.token) return;
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') return this.end();
      // Offline or a server fault: the token is still good until it expires; try again soon.
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.renew(), RETRY_MS);
    }
  }

  /** Plan the next refresh from the token's own lifetime. */
  private schedule(): void {
    clearTimeout(this.timer);
    const life = this.session && tokenLifetime(this.session.token);
    if (!life) return;
    const span = life.expiresAtMs - life.issuedAtMs;
    // From when this tab got the token by its own clock, not from the server's `iat`: a device
    // clock ahead of the server's would otherwise find every fresh token already due (a loop).
    // A token loaded from storage at start has only its `iat` to go by.
    const from = this.gotTokenAt > 0 ? this.gotTokenAt : life.issuedAtMs;
    const at = from + span * (REFRESH_AT_SHARE + Math.random() * REFRESH_JITTER_SHARE);
    // Timers cap at ~24.8 days; a token living longer is simply checked again later.
    const delay = Math.min(Math.max(at - this.now(), 0), 2 ** 31 - 1);
    this.timer = setTimeout(() => void this.renew(), delay);
  }

  /** Another tab signed in, refreshed or signed out. */
  private readonly onStorage = (e: StorageEvent): void => {
    if (e.storageArea !== this.storage || (e.key !== SESSION_KEY && e.key !== null)) return;
    const next = parseSession(e.key === null ? null : e.newValue);
    if (next?.token === this.session?.token) return;
    if (next) this.set(next);
    else this.end(false);
  };

  private end(clearStored = true): void {
    if (clearStored) clearSession(this.storage);
    this.set(null);
  }

  private set(session: Session | null): void {
    if (session) this.gotTokenAt = this.now();
    this.session = session;
    this.schedule();
    for (const listener of this.listeners) listener();
  }
}
