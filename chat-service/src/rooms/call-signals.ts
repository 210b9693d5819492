import { callSignalPayloadSchema, type CallSignal } from '@chat/contracts';
import { AppError, parseOrThrow } from '@chat/service-kit';
import type { ChatKeys } from '../adapters/keys.js';
import type { ChatServer, ChatSocket } from '../socket/socket-types.js';
import { userRoom } from '../socket/user-room.js';
import type { createWindowLimit } from '../adapters/window-limit.js';

export interface CallSignalDeps {
  io: ChatServer;
  keys: ChatKeys;
  /** Signals per user and window, across nodes. */
  limit: ReturnType<typeof createWindowLimit>;
}

/** A callee's own answer or decline also goes to their other sockets: those stop ringing. */
const ENDS_RINGING_ELSEWHERE = new Set<CallSignal['type']>(['answer', 'decline']);

/**
 * `callSignal` (DESIGN.md §3.5): relays one signal to every socket of the callee on any node,
 * named by the sender's token. Nothing is stored or queued: a callee without a socket gets
 * nothing and the sender NOT_FOUND. The ring timeout lives in the caller's client (docs/calls.md).
 */
export function createCallSignals(deps: CallSignalDeps) {
  const { io } = deps;
  return {
    async relay(socket: ChatSocket, payload: unknown): Promise<{ ok: true }> {
      const { toUserId, callId, type, data } = parseOrThrow(callSignalPayloadSchema, payload);
      const me = socket.data.user;
      if (toUserId === me.userId)
        throw new AppError('INVALID', 'toUserId: cannot call yourself', { field: 'toUserId' });
      const retryAfterSec = await deps.limit.take(deps.keys.callSignalRate(me.userId));
      if (retryAfterSec > 0) throw new AppError('RATE_LIMITED', 'too many call signals; slow down', { retryAfterSec });
      // One round trip to every node through the adapter; cheap next to the media it sets up.
      const callee = await io
        .in(userRoom(toUserId))
        .fetchSockets()
        .catch((err: unknown) => {
          throw new AppError('UNAVAILABLE', 'could not reach every chat node; retry', { cause: err });
        });
      if (callee.length === 0) throw new AppError('NOT_FOUND', 'the callee is not connected');
      const signal: CallSignal = { fromUserId: me.userId, fromName: me.displayName, callId, type };
      io.to(userRoom(toUserId)).emit('callSignal', data === undefined ? signal : { ...signal, data });
      if (ENDS_RINGING_ELSEWHERE.has(type)) io.to(userRoom(me.userId)).except(socket.id).emit('callSignal', signal);
      return { ok: true };
    },
  };
}
