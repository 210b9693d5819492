import { randomUUID } from 'node:crypto';
import { dmMembers, markReadPayloadSchema, type ReadMarkerEvent } from '@chat/contracts';
import { AppError, parseOrThrow, type Logger } from '@chat/service-kit';
import type { SendAdmission } from '../adapters/admission.js';
import type { MembershipStore } from '../adapters/memberships.js';
import type { MessagePublisher } from '../adapters/publisher.js';
import type { ChatServer, ChatSocket } from '../socket/socket-types.js';
import { userRoom } from '../socket/user-room.js';
import { readEventBody } from './member-event-body.js';
import { assertRoomAccess } from './room-access.js';

export interface ReadMarkerDeps {
  io: ChatServer;
  store: MembershipStore;
  /** The room's last seq, which a marker never passes. */
  admission: Pick<SendAdmission, 'lastSeq'>;
  publisher: MessagePublisher;
  log: Logger;
}

/**
 * markRead (DESIGN.md §3.3): a member's marker moves only forward and never past the room's
 * last seq (a higher one is clamped to it). A move is published durable (confirmed) before it
 * is answered or told to the user's other sockets and, in a direct room, to the other member.
 */
export function createReadMarkers(deps: ReadMarkerDeps) {
  const { io, store } = deps;
  return {
    async markRead(socket: ChatSocket, payload: unknown): Promise<{ ok: true; lastReadSeq: number }> {
      const { roomId, seq } = parseOrThrow(markReadPayloadSchema, payload);
      const userId = socket.data.user.userId;
      assertRoomAccess(userId, roomId);
      const target = Math.min(seq, (await deps.admission.lastSeq(roomId)) ?? 0);
      const advanced = await store.advanceRead(userId, roomId, target);
      if (advanced.kind === 'not-member') throw new AppError('FORBIDDEN', 'not a member of this room; join it first');
      if (advanced.kind === 'unchanged') return { ok: true, lastReadSeq: advanced.seq };
      try {
        await deps.publisher.publish(roomId, randomUUID(), readEventBody({ roomId, userId, seq: target }));
      } catch (err) {
        await store
          .revertRead(userId, roomId, target, advanced.previous)
          .catch((e: Error) => deps.log.warn({ err: e.message, roomId }, 'undoing an unpublished read marker failed'));
        throw err;
      }
      const event: ReadMarkerEvent = { roomId, userId, seq: target };
      const peer = dmMembers(roomId)?.find((id) => id !== userId);
      const to = peer ? [userRoom(userId), userRoom(peer)] : userRoom(userId);
      io.to(to).except(socket.id).emit('readMarker', event);
      return { ok: true, lastReadSeq: target };
    },
  };
}
