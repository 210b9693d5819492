import { describe, expect, it, vi } from 'vitest';
import { inRoom, setup, sleep } from './chat-client-harness.js';

const status = (c: { getSnapshot: () => { status: string } }) => c.getSnapshot().status;
const noHistory = async () => ({ messages: [], hasMore: false });

describe('ChatClient: honest connection state', () => {
  it('says offline as soon as the browser does, although the socket still claims to be connected', async () => {
    let online = true;
    const { client, socket } = await inRoom([], undefined, { isOnline: () => online });
    expect(status(client)).toBe('connected');
    online = false;
    window.dispatchEvent(new Event('offline'));
    expect(socket.connected).toBe(true);
    expect(status(client)).toBe('offline');
    online = true;
    window.dispatchEvent(new Event('online'));
    // Back online: the socket is asked to prove itself at once.
    const probe = socket.take('leaveRoom');
    probe.answer({ ok: false, error: { code: 'INVALID', message: 'bad roomId' } });
    await vi.waitFor(() => expect(status(client)).toBe('connected'));
  });

  it('a probe unanswered shows Reconnecting… quickly, and a dead connection is replaced', async () => {
    const { client, socket } = await inRoom([], undefined, { probeIntervalMs: 20, stallAfterMs: 30, deadAfterMs: 150 });
    const probe = await vi.waitFor(() => socket.take('leaveRoom'));
    expect(probe.payload).toEqual({ roomId: '' });
    await vi.waitFor(() => expect(status(client)).toBe('reconnecting'));
    expect(socket.connected).toBe(true);
    probe.fail(); // the ack timeout: the connection is dead
    await vi.waitFor(() => expect(socket.active && !socket.connected).toBe(true));
    socket.serverAccepts();
    expect(status(client)).toBe('connected');
    // The fresh connection rejoins its rooms.
    expect(socket.take('joinRoom').payload).toEqual({ roomId: 'general', sinceSeq: 0 });
  });

  it('an answered probe keeps it connected', async () => {
    const { client, socket } = await inRoom([], undefined, { probeIntervalMs: 20, stallAfterMs: 1_000 });
    const probe = await vi.waitFor(() => socket.take('leaveRoom'));
    probe.answer({ ok: false, error: { code: 'INVALID', message: 'bad roomId' } });
    await sleep(30);
    expect(status(client)).toBe('connected');
    expect(socket.active).toBe(true);
  });
});

describe('ChatClient: token lifetime', () => {
  it('a refreshed token goes to the live socket (refreshToken) and to every later handshake', async () => {
    const { client, socket } = await inRoom();
    client.updateToken('t2');
    expect(socket.auth).toEqual({ token: 't2' });
    const refresh = socket.take('refreshToken');
    expect(refresh.payload).toEqual({ token: 't2' });
    refresh.answer({ ok: true, expiresAt: Date.now() + 3_600_000 });
  });

  it('tokenExpiring asks the app for a fresh token; a refused handshake names the token and reconnects with the next', () => {
    const onTokenExpiring = vi.fn();
    const { client, socket, onUnauthorized } = setup(noHistory, undefined, { onTokenExpiring });
    socket.fire('tokenExpiring', { expiresAt: Date.now() + 60_000 });
    expect(onTokenExpiring).toHaveBeenCalledOnce();

    socket.active = false; // a middleware refusal is not retried by socket.io
    socket.fire('connect_error', new Error('unauthorized'));
    expect(onUnauthorized).toHaveBeenCalledWith('t');
    client.updateToken('t2');
    expect(socket.active).toBe(true);
    expect(socket.auth).toEqual({ token: 't2' });
  });
});
