import { joinRoomPayloadSchema, leaveRoomPayloadSchema, type JoinRoomOk } from '@chat/contracts';
import { parseOrThrow, type Logger } from '@chat/service-kit';
import type { SendAdmission } from '../adapters/admission.js';
import type { HistoryClient } from '../adapters/history-client.js';
import type { Memberships } from './memberships.js';
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
  /** Joins make members; the cap on a user's rooms also bounds the rooms (adapter state) of each socket. */
  memberships: Memberships;
}

export function createRoomHandlers(deps: RoomHandlerDeps) {
  return {
    async joinRoom(socket: ChatSocket, payload: unknown): Promise<JoinRoomOk> {
      const { roomId, sinceSeq } = parseOrThrow(joinRoomPayloadSchema, payload);
      assertRoomAccess(socket.data.user.userId, roomId);
      const lastReadSeq = await deps.memberships.join(socket, roomId);
      // Join before reading the buffer: a message confirmed meanwhile is either buffered or delivered live.
      await socket.join(roomId);
      try {
        const noneMissed: Missed = { missed: [], hasMore: false };
        const [counter, { missed, hasMore }] = await Promise.all([
          deps.admission.lastSeq(roomId),
          sinceSeq === undefined ? noneMissed : collectMissed(deps, roomId, sinceSeq, socket.data.token),
        ]);
        const lastSeq = Math.max(counter ?? 0, missed.at(-1)?.seq ?? 0);
        return { ok: true, room: { id: roomId, lastSeq, lastReadSeq }, missed, hasMore };
      } catch (err) {
        // The membership stands (it is durable already); this socket resubscribes with its retry.
        await socket.leave(roomId);
        throw err;
      }
    },

    async leaveRoom(socket: ChatSocket, payload: unknown): Promise<{ ok: true }> {
      const { roomId } = parseOrThrow(leaveRoomPayloadSchema, payload);
      assertRoomAccess(socket.data.user.userId, roomId);
      await deps.memberships.leave(socket, roomId);
      return { ok: true };
    },
  };
}
