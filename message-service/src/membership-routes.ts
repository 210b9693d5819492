import { canAccessRoom, membersParamsSchema, roomsQuerySchema } from '@chat/contracts';
import { AppError, bearerToken, parseOrThrow, type VerifyToken } from '@chat/service-kit';
import { Router } from 'express';
import { listMembers, type MemberListDeps } from './members.js';
import type { MembershipStore } from './membership-store.js';
import type { MessageServiceMetrics } from './metrics.js';
import type { ReadLimiter } from './read-limiter.js';
import type { RoomList } from './room-list.js';

export interface MembershipRoutesDeps {
  verifyToken: VerifyToken;
  store: MembershipStore;
  roomList: RoomList;
  members: MemberListDeps;
  metrics: MessageServiceMetrics;
  readLimiter: ReadLimiter;
}

/**
 * `GET /messages/rooms` and `GET /messages/rooms/:roomId/members` (DESIGN.md §2, §3.3). Identity
 * from the token only; both count against the per-user read budget once the request is valid.
 */
export function membershipRouter({
  verifyToken,
  store,
  roomList,
  members,
  metrics,
  readLimiter,
}: MembershipRoutesDeps): Router {
  const router = Router();
  router.get('/messages/rooms', async (req, res) => {
    const end = metrics.roomListLatency.startTimer();
    const identity = verifyToken(bearerToken(req.headers.authorization));
    parseOrThrow(roomsQuerySchema, req.query, 'query');
    await readLimiter.take(identity.userId);
    const rooms = await roomList.of(identity.userId, identity.username);
    end();
    res.setHeader('Cache-Control', 'private, no-store');
    res.json({ rooms });
  });
  router.get('/messages/rooms/:roomId/members', async (req, res) => {
    const token = bearerToken(req.headers.authorization);
    const identity = verifyToken(token);
    const { roomId } = parseOrThrow(membersParamsSchema, req.params, 'params');
    // A direct room's outsiders are refused before they cost a query or budget.
    if (!canAccessRoom(identity.userId, roomId)) throw new AppError('FORBIDDEN', 'not a member of this room');
    await readLimiter.take(identity.userId);
    if (!(await store.isMember(roomId, identity.userId))) throw new AppError('FORBIDDEN', 'not a member of this room');
    const list = await listMembers(members, roomId, `Bearer ${token}`);
    res.setHeader('Cache-Control', 'private, no-store');
    res.json({ members: list });
  });
  return router;
}
