import { generateKeyPairSync } from 'node:crypto';
import { UNAUTHORIZED_CONNECT_ERROR } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_ORIGIN,
  connect,
  connected,
  connectError,
  send,
  tokenFor,
  useChatCluster,
  userFor,
} from './helpers.js';

const cluster = useChatCluster('chat-auth');

const otherKey = generateKeyPairSync('ec', {
  namedCurve: 'P-256',
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
}).privateKey;

describe('handshake authentication', () => {
  it.each([
    ['no token', undefined],
    ['an empty token', ''],
    ['garbage', 'not.a.jwt'],
    ['a token signed with another key', tokenFor(userFor(), { privateKey: otherKey })],
    ['an expired token', tokenFor(userFor(), { ttlSec: -10 })],
    ['a token for another audience', tokenFor(userFor(), { audience: 'someone-else' })],
    ['a tampered token', tokenFor(userFor()).replace(/\.([^.]+)\./, (_m, p: string) => `.${p.slice(0, -2)}AA.`)],
  ])('refuses %s with connect_error "unauthorized"', async (_what, token) => {
    const err = await connectError(connect(cluster.url(), token));
    expect(err.message).toBe(UNAUTHORIZED_CONNECT_ERROR);
  });

  it('takes identity from the token, never from the payload', async () => {
    const user = userFor();
    const socket = await connected(connect(cluster.url(), tokenFor(user)));
    const ack = await send(socket, 'lobby', 'who am i');
    expect(ack).toMatchObject({ ok: true, message: { senderId: user.userId, senderName: user.displayName } });
  });
});

describe('origin allowlist', () => {
  it.each([['websocket'], ['polling']])('refuses a browser origin outside the list over %s', async (transport) => {
    const err = await connectError(
      connect(cluster.url(), tokenFor(userFor()), { transports: [transport], origin: 'http://evil.test' }),
    );
    expect(err.message).not.toBe(UNAUTHORIZED_CONNECT_ERROR);
    expect(err.message).toMatch(/error/i);
  });

  it.each([['websocket'], ['polling']])('accepts the allowed origin over %s and upgrades', async (transport) => {
    const socket = await connected(
      connect(cluster.url(), tokenFor(userFor()), { transports: [transport, 'websocket'], origin: ALLOWED_ORIGIN }),
    );
    expect((await send(socket, 'lobby', 'from the browser')).ok).toBe(true);
  });

  it('accepts non-browser clients that send no Origin', async () => {
    const socket = await connected(connect(cluster.url(), tokenFor(userFor())));
    expect(socket.connected).toBe(true);
  });
});
