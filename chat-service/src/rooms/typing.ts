import { typingPayloadSchema } from '@chat/contracts';
import { AppError, parseOrThrow } from '@chat/service-kit';
import type { TypingGate } from '../adapters/typing-gate.js';
import type { ChatServer, ChatSocket } from '../socket/socket-types.js';
import { userRoom } from '../socket/user-room.js';

export interface TypingDeps {
  io: ChatServer;
  gate: TypingGate;
}

/**
 * `typing {roomId, typing}` (DESIGN.md §3, §3.4): relayed to the room's other users on every
 * node, volatile (a socket that cannot take it now never gets it later), never stored or
 * queued. A change the gate holds back is still answered `{ok: true}`: the others already
 * show that state.
 */
export function createTyping({ io, gate }: TypingDeps) {
  return {
    async typing(socket: ChatSocket, payload: unknown): Promise<{ ok: true }> {
      const { roomId, typing } = parseOrThrow(typingPayloadSchema, payload);
      if (!socket.rooms.has(roomId)) throw new AppError('FORBIDDEN', 'join the room before typing in it');
      const { userId, displayName } = socket.data.user;
      if (await gate.pass(roomId, userId, typing)) {
        // Not to the typist's own sockets either: another tab of theirs shows no indicator of them.
        io.to(roomId).except(userRoom(userId)).volatile.emit('typing', { roomId, userId, displayName, typing });
      }
      return { ok: true };
    },
  };
}
