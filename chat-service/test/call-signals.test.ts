import { CALL_SIGNAL_DATA_MAX_BYTES, type CallConfig, type CallSignal } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import {
  type ClientSocket,
  connect,
  connected,
  emitRaw,
  newUserId,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
} from './helpers.js';

const RATE_LIMIT = 20;
const STUN = [{ urls: 'stun:stun.example.org:3478' }];
const cluster = useChatCluster('chat-calls', {
  nodes: 2,
  env: () => ({
    CALL_SIGNAL_RATE_LIMIT: String(RATE_LIMIT),
    CALL_RING_TIMEOUT_MS: '1500',
    ICE_SERVERS: JSON.stringify(STUN),
  }),
});

/** A connected socket of `user` on node `node`, recording every callSignal it receives. */
async function device(user: ReturnType<typeof userFor>, node: number) {
  const socket = connect(cluster.url(node), tokenFor(user));
  const signals: CallSignal[] = [];
  socket.on('callSignal', (s) => signals.push(s));
  await connected(socket);
  return { socket, signals };
}

const signal = (socket: ClientSocket, payload: Record<string, unknown>) => emitRaw(socket, 'callSignal', payload);

/**
 * A marker signal from `from` to the recipient: once it has arrived, everything relayed before
 * it has too (one sender, one path), so "nothing else arrived" can be asserted without sleeping.
 */
async function flush(from: ClientSocket, toUserId: string, signals: CallSignal[]) {
  const callId = `marker-${Math.random().toString(36).slice(2)}`;
  expect(await signal(from, { toUserId, callId, type: 'hangup' })).toEqual({ ok: true });
  await waitFor(() => signals.some((s) => s.callId === callId), 5000, 'marker signal');
  return signals.filter((s) => s.callId !== callId && !s.callId.startsWith('marker-'));
}

describe('callSignal', () => {
  it('reaches every socket of the callee on both nodes, named by the token (a payload fromUserId is ignored)', async () => {
    const ada = userFor(newUserId(), 'Ada');
    const bob = userFor();
    const a = await device(ada, 0);
    const b0 = await device(bob, 0);
    const b1 = await device(bob, 1);
    const ack = await signal(a.socket, {
      toUserId: bob.userId,
      callId: 'call-1',
      type: 'ring',
      data: { media: 'video' },
      fromUserId: bob.userId,
      fromName: 'Mallory',
    });
    expect(ack).toEqual({ ok: true });
    const expected = {
      fromUserId: ada.userId,
      fromName: 'Ada',
      callId: 'call-1',
      type: 'ring',
      data: { media: 'video' },
    };
    await waitFor(() => b0.signals.length === 1 && b1.signals.length === 1, 5000, 'ring on both devices');
    expect(b0.signals).toEqual([expected]);
    expect(b1.signals).toEqual([expected]);
    expect(a.signals).toEqual([]);
  });

  it('a device that answers stops the ringing on the callee’s other devices; the caller alone gets the SDP', async () => {
    for (const type of ['answer', 'decline'] as const) {
      const ada = userFor();
      const bob = userFor(newUserId(), 'Bob');
      const a = await device(ada, 0);
      const b0 = await device(bob, 0);
      const b1 = await device(bob, 1);
      const callId = `call-${type}`;
      const data = type === 'answer' ? { sdp: { type: 'answer', sdp: 'v=0' } } : undefined;
      expect(await signal(b1.socket, { toUserId: ada.userId, callId, type, ...(data ? { data } : {}) })).toEqual({
        ok: true,
      });
      await waitFor(() => a.signals.length === 1 && b0.signals.length === 1, 5000, `${type} relayed`);
      expect(a.signals).toEqual([{ fromUserId: bob.userId, fromName: 'Bob', callId, type, ...(data ? { data } : {}) }]);
      // The notice to Bob's other device names Bob himself and carries no SDP.
      expect(b0.signals).toEqual([{ fromUserId: bob.userId, fromName: 'Bob', callId, type }]);
      expect(await flush(a.socket, bob.userId, b1.signals)).toEqual([]);
    }
  });

  it('ice and offer are relayed to the callee only; the sender’s other devices get nothing', async () => {
    const ada = userFor();
    const bob = userFor();
    const a0 = await device(ada, 0);
    const a1 = await device(ada, 1);
    const b = await device(bob, 1);
    for (const type of ['offer', 'ice', 'hangup'] as const) {
      expect(await signal(a0.socket, { toUserId: bob.userId, callId: 'c', type, data: { n: 1 } })).toEqual({
        ok: true,
      });
    }
    await waitFor(() => b.signals.length === 3, 5000, 'three signals');
    expect(b.signals.map((s) => s.type).sort()).toEqual(['hangup', 'ice', 'offer']);
    expect(await flush(b.socket, ada.userId, a1.signals)).toEqual([]);
  });

  it('answers NOT_FOUND when the callee has no socket on any node, also after the last one closed', async () => {
    const a = await device(userFor(), 0);
    const bob = userFor();
    const nobody = await signal(a.socket, { toUserId: bob.userId, callId: 'c1', type: 'ring' });
    expect(nobody).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    const b = await device(bob, 1);
    expect(await signal(a.socket, { toUserId: bob.userId, callId: 'c2', type: 'ring' })).toEqual({ ok: true });
    b.socket.disconnect();
    await waitFor(
      async () =>
        ((await signal(a.socket, { toUserId: bob.userId, callId: 'c3', type: 'ring' })) as { ok: boolean }).ok ===
        false,
      5000,
      'NOT_FOUND after disconnect',
    );
  });

  it('refuses data over 16 KB, bad types, bad ids and calling oneself, relaying nothing; the socket stays up', async () => {
    const ada = userFor();
    const bob = userFor();
    const a = await device(ada, 0);
    const b = await device(bob, 1);
    const over = { sdp: 'x'.repeat(CALL_SIGNAL_DATA_MAX_BYTES) };
    const atLimit = { s: 'x'.repeat(CALL_SIGNAL_DATA_MAX_BYTES - 8) }; // {"s":"…"} is 8 bytes more
    const bad: [Record<string, unknown>, string][] = [
      [{ toUserId: bob.userId, callId: 'c', type: 'ring', data: over }, 'data'],
      [{ toUserId: bob.userId, callId: 'c', type: 'video' }, 'type'],
      [{ toUserId: 'not-a-user', callId: 'c', type: 'ring' }, 'toUserId'],
      [{ toUserId: bob.userId, callId: 'has space', type: 'ring' }, 'callId'],
      [{ toUserId: ada.userId, callId: 'c', type: 'ring' }, 'toUserId'],
    ];
    for (const [payload, field] of bad) {
      expect(await signal(a.socket, payload)).toMatchObject({ ok: false, error: { code: 'INVALID', field } });
    }
    expect(await emitRaw(a.socket, 'callSignal', 'not an object')).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    // Data nested too deep to serialize (no client library would even encode it): a raw frame
    // (Engine.IO adds the message type 4; 2 is a Socket.IO EVENT without an ack).
    const depth = 30_000;
    const deep = `{"toUserId":"${bob.userId}","callId":"deep","type":"ring","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    (a.socket.io.engine as unknown as { write(frame: string): void }).write(`2["callSignal",${deep}]`);
    expect(await signal(a.socket, { toUserId: bob.userId, callId: 'ok', type: 'offer', data: atLimit })).toEqual({
      ok: true,
    });
    const got = await flush(a.socket, bob.userId, b.signals);
    expect(got.map((s) => s.callId)).toEqual(['ok']);
    expect(a.socket.connected).toBe(true);
  });

  it('rate-limits each user across nodes with RATE_LIMITED and retryAfterSec', async () => {
    const ada = userFor();
    const bob = userFor();
    const a0 = await device(ada, 0);
    const a1 = await device(ada, 1);
    await device(bob, 1);
    const acks = [];
    for (let i = 0; i < RATE_LIMIT + 1; i++) {
      acks.push(await signal(i % 2 ? a1.socket : a0.socket, { toUserId: bob.userId, callId: 'c', type: 'ice' }));
    }
    expect(acks.slice(0, RATE_LIMIT).every((ack) => (ack as { ok: boolean }).ok)).toBe(true);
    const refused = acks.at(-1) as { ok: false; error: { code: string; retryAfterSec: number } };
    expect(refused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(refused.error.retryAfterSec).toBeGreaterThanOrEqual(1);
    expect(refused.error.retryAfterSec).toBeLessThanOrEqual(10);
    // Another user is not affected.
    const other = await device(userFor(), 0);
    expect(await signal(other.socket, { toUserId: bob.userId, callId: 'c', type: 'ice' })).toEqual({ ok: true });
  });

  it('tells each socket on connect the ICE servers and the ring timeout', async () => {
    const socket = connect(cluster.url(1), tokenFor(userFor()));
    const config = new Promise<CallConfig>((resolve) => socket.once('callConfig', resolve));
    await connected(socket);
    expect(await config).toEqual({ iceServers: STUN, ringTimeoutMs: 1500 });
  });
});
