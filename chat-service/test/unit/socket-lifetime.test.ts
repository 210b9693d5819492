import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier } from '@chat/service-kit';
import { testKeyPair } from '@chat/testing';
import { SocketLifetimes } from '../../src/socket/socket-lifetime.js';
import type { ChatSocket } from '../../src/socket/socket-types.js';
import { tokenFor, userFor } from '../helpers.js';

const DAY_SEC = 86_400;

/** The parts of a socket the lifetime clock touches. */
function fakeSocket(expiresInSec: number) {
  const emitted: unknown[] = [];
  const socket = {
    id: `s-${Math.random()}`,
    connected: true,
    data: { user: { ...userFor(), expiresAt: Math.floor(Date.now() / 1000) + expiresInSec }, token: 't' },
    emit: (event: string, info: unknown) => emitted.push({ event, info }),
  };
  return { socket: socket as unknown as ChatSocket & { connected: boolean }, emitted };
}

describe('SocketLifetimes', () => {
  const expired: ChatSocket[] = [];
  let lifetimes: SocketLifetimes;
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    expired.length = 0;
    lifetimes = new SocketLifetimes({
      verifyToken: createTokenVerifier(testKeyPair().publicKey, { issuer: 'chat-platform', audience: 'chat-platform' }),
      warningMs: 60_000,
      onExpired: (s) => expired.push(s),
    });
  });
  afterEach(() => vi.useRealTimers());

  it('warns once 60 s before expiry and ends the socket at expiry, then keeps no timer', () => {
    const { socket, emitted } = fakeSocket(300);
    lifetimes.start(socket);
    vi.advanceTimersByTime(239_000);
    expect(emitted).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(emitted).toEqual([{ event: 'tokenExpiring', info: { expiresAt: socket.data.user.expiresAt! * 1000 } }]);
    vi.advanceTimersByTime(59_999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual([socket]);
    expect(emitted).toHaveLength(1);
    expect(lifetimes.size).toBe(0);
  });

  it('handles tokens longer than a timer can wait (24.8 days) without firing early', () => {
    const { socket, emitted } = fakeSocket(40 * DAY_SEC);
    lifetimes.start(socket);
    vi.advanceTimersByTime(30 * DAY_SEC * 1000);
    expect(emitted).toEqual([]);
    vi.advanceTimersByTime(10 * DAY_SEC * 1000);
    expect(expired).toEqual([socket]);
    expect(emitted).toHaveLength(1);
  });

  it('clears the timer on stop, and a refresh answered after the disconnect starts none', () => {
    const { socket } = fakeSocket(300);
    lifetimes.start(socket);
    expect(lifetimes.size).toBe(1);
    lifetimes.stop(socket);
    expect(lifetimes.size).toBe(0);
    socket.connected = false;
    const user = socket.data.user;
    expect(lifetimes.refresh(socket, { token: tokenFor(user, { ttlSec: 3600 }) }).ok).toBe(true);
    expect(lifetimes.size).toBe(0);
    vi.advanceTimersByTime(DAY_SEC * 1000);
    expect(expired).toEqual([]);
  });
});
