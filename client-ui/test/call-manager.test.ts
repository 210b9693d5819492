import type { CallSignal, PublicUser } from '@chat/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallManager } from '../src/calls/call-manager.js';
import type { ChatSocket } from '../src/chat/chat-client.js';

const ME: PublicUser = { id: 'a'.repeat(24), username: 'me', displayName: 'Me' };
const ADA = { id: 'b'.repeat(24), name: 'Ada' };
const EVE = { id: 'c'.repeat(24), name: 'Eve' };
const RING_MS = 2000;

type Handler = (payload: unknown) => void;

/** What CallManager uses of the chat socket: listeners, and emits that are acked `{ok:true}`. */
class FakeSocket {
  readonly sent: { event: string; payload: Record<string, unknown> }[] = [];
  private readonly handlers = new Map<string, Handler>();
  on(event: string, handler: Handler) {
    this.handlers.set(event, handler);
    return this;
  }
  fire(event: string, payload: unknown) {
    this.handlers.get(event)?.(payload);
  }
  timeout() {
    return {
      emitWithAck: (event: string, payload: Record<string, unknown>) => {
        this.sent.push({ event, payload });
        return Promise.resolve({ ok: true });
      },
    };
  }
}

function setup() {
  const socket = new FakeSocket();
  const calls = new CallManager(ME);
  calls.attach(socket as unknown as ChatSocket);
  socket.fire('callConfig', { iceServers: [], ringTimeoutMs: RING_MS });
  const signal = (from: { id: string; name: string }, s: Omit<CallSignal, 'fromUserId' | 'fromName'>) =>
    socket.fire('callSignal', { fromUserId: from.id, fromName: from.name, ...s });
  const ring = (callId = 'call-1', from = ADA) => signal(from, { callId, type: 'ring', data: { media: 'video' } });
  return { socket, calls, signal, ring };
}

afterEach(() => vi.useRealTimers());

describe('CallManager (signals only; media is covered in the browser e2e)', () => {
  it('a ring makes this device ring; the caller hanging up turns it into a missed call', () => {
    const { calls, signal, ring } = setup();
    ring();
    expect(calls.getSnapshot()).toMatchObject({ phase: 'ringing', direction: 'incoming', peer: ADA, media: 'video' });
    signal(ADA, { callId: 'call-1', type: 'hangup', data: { reason: 'missed' } });
    expect(calls.getSnapshot()).toMatchObject({ phase: 'missed', detail: 'Missed call from Ada' });
    calls.dismiss();
    expect(calls.getSnapshot()).toBeUndefined();
  });

  it('stops ringing when the user answers or declines on another device', () => {
    for (const type of ['answer', 'decline'] as const) {
      const { calls, signal, ring } = setup();
      ring();
      signal({ id: ME.id, name: ME.displayName }, { callId: 'call-1', type });
      expect(calls.getSnapshot()).toBeUndefined();
    }
  });

  it('ignores signals for the call from anyone but its peer, and malformed ones', () => {
    const { calls, signal, socket, ring } = setup();
    ring();
    signal(EVE, { callId: 'call-1', type: 'hangup' });
    socket.fire('callSignal', { fromUserId: ADA.id, callId: 'call-1', type: 'hangup' }); // no fromName
    socket.fire('callSignal', 'garbage');
    signal(ADA, { callId: 'call-1', type: 'ice', data: { candidates: 'nope' } });
    expect(calls.getSnapshot()?.phase).toBe('ringing');
  });

  it('answers a second ring while busy with decline {reason: busy} to that caller', () => {
    const { calls, socket, ring } = setup();
    ring('call-1', ADA);
    ring('call-2', EVE);
    expect(calls.getSnapshot()).toMatchObject({ callId: 'call-1', phase: 'ringing' });
    expect(socket.sent).toEqual([
      {
        event: 'callSignal',
        payload: { toUserId: EVE.id, callId: 'call-2', type: 'decline', data: { reason: 'busy' } },
      },
    ]);
  });

  it('stops ringing by itself when the caller vanished without a hang-up', () => {
    vi.useFakeTimers();
    const { calls, ring } = setup();
    ring();
    vi.advanceTimersByTime(RING_MS);
    expect(calls.getSnapshot()?.phase).toBe('ringing'); // the caller's timer ends it normally
    vi.advanceTimersByTime(5_000);
    expect(calls.getSnapshot()).toMatchObject({ phase: 'missed', detail: 'Missed call from Ada' });
  });

  it('decline tells the caller and closes the dialog', () => {
    const { calls, socket, ring } = setup();
    ring();
    calls.decline();
    expect(calls.getSnapshot()).toBeUndefined();
    expect(socket.sent.map((s) => [s.payload.toUserId, s.payload.type])).toEqual([[ADA.id, 'decline']]);
  });
});
