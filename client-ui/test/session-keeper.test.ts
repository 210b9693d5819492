import type { AuthResponse } from '@chat/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api/http.js';
import { SessionKeeper } from '../src/session/session-keeper.js';
import { loadSession, SESSION_KEY } from '../src/session/session-store.js';
import { draftsKey, outboxKey } from '../src/session/user-storage.js';
import { ME_ID } from './fixtures.js';

const user = { id: ME_ID, username: 'me', displayName: 'Me' };
/** An unsigned JWT-shaped token living from `iat` to `exp` (seconds); the client never verifies. */
const jwt = (iat: number, exp: number, n = 0) =>
  `h.${btoa(JSON.stringify({ iat, exp, n })).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.s`;
const T0 = 1_800_000_000; // seconds
const auth = (token: string): AuthResponse => ({ user, token });

const keepers: SessionKeeper[] = [];
beforeEach(() => localStorage.clear());
afterEach(() => keepers.splice(0).forEach((k) => k.stop()));

function keeper(refresh: (token: string) => Promise<AuthResponse>, nowMs: number) {
  const k = new SessionKeeper({ refresh: vi.fn(refresh), now: () => nowMs, exclusive: (task) => task() });
  keepers.push(k);
  k.start();
  return k;
}

describe('SessionKeeper', () => {
  it('refreshes at about 80% of the token’s life and stores the new token for every tab', async () => {
    const old = jwt(T0, T0 + 100);
    const fresh = jwt(T0 + 85, T0 + 185);
    localStorage.setItem(SESSION_KEY, JSON.stringify(auth(old)));
    const refresh = vi.fn(async () => auth(fresh));
    // 79 s of 100 gone: not yet; 85 s gone: now.
    const early = keeper(refresh, (T0 + 70) * 1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(refresh).not.toHaveBeenCalled();
    early.stop();
    const due = keeper(refresh, (T0 + 85) * 1000);
    await vi.waitFor(() => expect(refresh).toHaveBeenCalledWith(old));
    await vi.waitFor(() => expect(due.getSession()?.token).toBe(fresh));
    expect(loadSession()?.token).toBe(fresh);
  });

  it('a device clock ahead of the server does not refresh in a loop: the next refresh counts from receipt', async () => {
    localStorage.setItem(SESSION_KEY, JSON.stringify(auth(jwt(T0, T0 + 3600))));
    let n = 0;
    // This device's clock says 52 minutes after the server's: every fresh token looks 52 minutes
    // old, past the latest due time (80% of the life plus up to 5% jitter: 48–51 minutes).
    const refresh = vi.fn(async () => auth(jwt(T0 + 10, T0 + 3610, ++n)));
    keeper(refresh, (T0 + 3120) * 1000);
    await vi.waitFor(() => expect(refresh).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r, 100));
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('ends the session only when the refresh is refused (401), in storage too', async () => {
    localStorage.setItem(SESSION_KEY, JSON.stringify(auth(jwt(T0, T0 + 100))));
    const offline = keeper(async () => {
      throw new ApiError(0, 'UPSTREAM_UNAVAILABLE', 'Cannot reach the server.');
    }, T0 * 1000);
    await offline.renew();
    expect(offline.getSession()).not.toBeNull();
    offline.stop();

    const over = keeper(async () => {
      throw new ApiError(401, 'UNAUTHORIZED', 'session expired');
    }, T0 * 1000);
    const changes = vi.fn();
    over.subscribe(changes);
    await over.renew();
    expect(over.getSession()).toBeNull();
    expect(localStorage.getItem(SESSION_KEY)).toBeNull();
    expect(changes).toHaveBeenCalled();
  });

  it('uses the token another tab refreshed meanwhile instead of refreshing again; concurrent asks share one refresh', async () => {
    const mine = jwt(T0, T0 + 100);
    localStorage.setItem(SESSION_KEY, JSON.stringify(auth(mine)));
    const refresh = vi.fn(async () => auth(jwt(T0 + 1, T0 + 101, 1)));
    const k = keeper(refresh, T0 * 1000);
    await Promise.all([k.renew(), k.renew()]);
    expect(refresh).toHaveBeenCalledOnce();

    const theirs = jwt(T0 + 2, T0 + 102, 2);
    localStorage.setItem(SESSION_KEY, JSON.stringify(auth(theirs)));
    await k.renew();
    expect(refresh).toHaveBeenCalledOnce();
    expect(k.getSession()?.token).toBe(theirs);
  });

  it('follows other tabs: their refresh is adopted, their logout signs this tab out', () => {
    localStorage.setItem(SESSION_KEY, JSON.stringify(auth(jwt(T0, T0 + 100))));
    const k = keeper(async () => auth('unused'), T0 * 1000);
    const theirs = jwt(T0 + 5, T0 + 105);
    const fire = (newValue: string | null) =>
      window.dispatchEvent(new StorageEvent('storage', { key: SESSION_KEY, newValue, storageArea: localStorage }));
    fire(JSON.stringify(auth(theirs)));
    expect(k.getSession()?.token).toBe(theirs);
    fire(null);
    expect(k.getSession()).toBeNull();
  });

  it('logging out forgets the session and what the user typed', () => {
    localStorage.setItem(SESSION_KEY, JSON.stringify(auth(jwt(T0, T0 + 100))));
    localStorage.setItem(draftsKey(ME_ID), JSON.stringify({ general: 'half' }));
    localStorage.setItem(outboxKey(ME_ID), '[]');
    localStorage.setItem('chat.rooms.' + ME_ID, '{"rooms":[]}');
    keeper(async () => auth('unused'), T0 * 1000).signOut();
    expect(localStorage.getItem(SESSION_KEY)).toBeNull();
    expect(localStorage.getItem(draftsKey(ME_ID))).toBeNull();
    expect(localStorage.getItem(outboxKey(ME_ID))).toBeNull();
    expect(localStorage.getItem('chat.rooms.' + ME_ID)).not.toBeNull();
  });

  it('a refused token is refreshed; a refused token it just got ends the session', async () => {
    const old = jwt(T0, T0 + 100);
    localStorage.setItem(SESSION_KEY, JSON.stringify(auth(old)));
    const fresh = jwt(T0 + 1, T0 + 101);
    const refresh = vi.fn(async () => auth(fresh));
    const k = keeper(refresh, T0 * 1000);
    k.tokenRefused('some older token');
    expect(refresh).not.toHaveBeenCalled();
    k.tokenRefused(old);
    await vi.waitFor(() => expect(k.getSession()?.token).toBe(fresh));
    k.tokenRefused(fresh);
    expect(k.getSession()).toBeNull();
  });
});
