import type { RefreshTokenAck, TokenExpiring } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import {
  connect,
  connected,
  emitRaw,
  send,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
  type ClientSocket,
} from './helpers.js';

/** Notices come 2 s before expiry here (60 s in production), so short-lived tokens show the whole life. */
const cluster = useChatCluster('chat-token-life', { env: () => ({ TOKEN_EXPIRY_WARNING_SEC: '2' }) });

/** What the socket was told and when it was dropped, in epoch ms. */
function watchLifetime(socket: ClientSocket) {
  const seen: { expiring: (TokenExpiring & { at: number })[]; disconnect?: { reason: string; at: number } } = {
    expiring: [],
  };
  socket.on('tokenExpiring', (info) => seen.expiring.push({ ...info, at: Date.now() }));
  socket.on('disconnect', (reason) => (seen.disconnect = { reason, at: Date.now() }));
  return seen;
}

const expiryMs = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;

function refresh(socket: ClientSocket, token: unknown): Promise<RefreshTokenAck> {
  return emitRaw(socket, 'refreshToken', { token }) as Promise<RefreshTokenAck>;
}

function serverSocket(id: string | undefined) {
  return cluster
    .nodes()[0]!
    .app.io.of('/')
    .sockets.get(id ?? '');
}

describe('a socket lives no longer than its token (DESIGN.md §3)', () => {
  it('is told tokenExpiring before expiry, then disconnected at expiry', async () => {
    const token = tokenFor(userFor(), { ttlSec: 4 });
    const socket = await connected(connect(cluster.url(), token));
    const seen = watchLifetime(socket);
    expect((await send(socket, 'lobby', 'still valid')).ok).toBe(true);

    await waitFor(() => seen.disconnect !== undefined, 15_000, 'the disconnect at expiry');
    expect(seen.expiring).toHaveLength(1);
    expect(seen.expiring[0]!.expiresAt).toBe(expiryMs(token));
    expect(seen.expiring[0]!.at).toBeLessThan(expiryMs(token));
    expect(seen.disconnect!.reason).toBe('io server disconnect');
    expect(seen.disconnect!.at).toBeGreaterThanOrEqual(expiryMs(token));
  });

  it('lives on after refreshToken with a newer token of the same user, and keeps sending under it', async () => {
    const user = userFor();
    const socket = await connected(connect(cluster.url(), tokenFor(user, { ttlSec: 3 })));
    const seen = watchLifetime(socket);
    await waitFor(() => seen.expiring.length === 1, 15_000, 'tokenExpiring');

    const renamed = { ...user, displayName: 'Renamed' };
    const fresh = tokenFor(renamed, { ttlSec: 600 });
    expect(await refresh(socket, fresh)).toEqual({ ok: true, expiresAt: expiryMs(fresh) });
    // The server forwards the new token for history reads and takes the identity from it.
    expect(serverSocket(socket.id)?.data.token).toBe(fresh);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, seen.expiring[0]!.expiresAt - Date.now()) + 1500));
    expect(socket.connected).toBe(true);
    expect(seen.expiring).toHaveLength(1);
    const ack = await send(socket, 'lobby', 'after the refresh');
    expect(ack).toMatchObject({ ok: true, message: { senderId: user.userId, senderName: 'Renamed' } });
  });

  it('refuses a token of another user (FORBIDDEN), an invalid or expired one (UNAUTHORIZED), an older one, and still ends at the first expiry', async () => {
    const user = userFor();
    const token = tokenFor(user, { ttlSec: 5 });
    const socket = await connected(connect(cluster.url(), token));
    const seen = watchLifetime(socket);

    const refusals = await Promise.all([
      refresh(socket, tokenFor(userFor(), { ttlSec: 600 })),
      refresh(socket, 'not.a.jwt'),
      refresh(socket, tokenFor(user, { ttlSec: -10 })),
      refresh(socket, tokenFor(user, { ttlSec: 2 })),
      refresh(socket, 42),
    ]);
    expect(refusals.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual([
      'FORBIDDEN',
      'UNAUTHORIZED',
      'UNAUTHORIZED',
      'INVALID',
      'INVALID',
    ]);
    expect(serverSocket(socket.id)?.data.token).toBe(token);
    expect(serverSocket(socket.id)?.data.user.userId).toBe(user.userId);

    await waitFor(() => seen.disconnect !== undefined, 15_000, 'the disconnect at the first expiry');
    expect(seen.disconnect!.at).toBeGreaterThanOrEqual(expiryMs(token));
  });
});
