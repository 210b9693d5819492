import { joinRoomPayloadSchema, leaveRoomPayloadSchema, type JoinRoomOk } from '@chat/contracts';
import { AppError, parseOrThrow, type Logger } from '@chat/service-kit';
import type { SendAdmission } from '../adapters/admission.js';
import type { HistoryClient } from '../adapters/history-client.js';
import { collectMissed, type Missed } from './missed.js';
import type { RecentBuffer } from '../adapters/recent-buffer.js';
import { assertRoomAccess } from './room-access.js';
import type { ChatSocket } from '../socket/socket-types.js';

export interface RoomHandlerDeps {
  admission: SendAdmission;
  recent: RecentBuffer;
  history: HistoryClient;
  log: Logger;
  persistenceWaitMs: number;
}

/** Rooms one socket may be in at once (its own id-room and user room included): bounds adapter state. */
export const MAX_ROOMS_PER_SOCKET = 100;
/** Rooms every socket is in from its connect: its id-room and its user room (user-room.ts). */
const ROOMS_OF_EVERY_SOCKET = 2;

export function createRoomHandlers(deps: RoomHandlerDeps) {
  return {
    async joinRoom(socket: ChatSocket, payload: unknown): Promise<JoinRoomOk> {
      const { roomId, sinceSeq } = parseOrThrow(joinRoomPayloadSchema, payload);
      assertRoomAccess(socket.data.user.userId, roomId);
      if (!socket.rooms.has(roomId) && socket.rooms.size >= MAX_ROOMS_PER_SOCKET) {
        throw new AppError('INVALID', `at most ${MAX_ROOMS_PER_SOCKET - ROOMS_OF_EVERY_SOCKET} rooms per connection`);
      }
      // Join before reading the buffer: a message confirmed meanwhile is either buffered or delivered live.
      await socket.join(roomId);
      try {
        const noneMissed: Missed = { missed: [], hasMore: false };
        const [counter, { missed, hasMore }] = await Promise.all([
          deps.admission.lastSeq(roomId),
          sinceSeq === undefined ? noneMissed : collectMissed(deps, roomId, sinceSeq, socket.data.token),
        ]);
        const lastSeq = Math.max(counter ?? 0, missed.at(-1)?.seq ?? 0);
        return { ok: true, room: { id: roomId, lastSeq }, missed, hasMore };
      } catch (err) {
        await socket.leave(roomId);
        throw err;
      }
    },

    async leaveRoom(socket: ChatSocket, payload: unknown): Promise<{ ok: true }> {
      const { roomId } = parseOrThrow(leaveRoomPayloadSchema, payload);
      await socket.leave(roomId);
      return { ok: true };
    },
  };
}
