import { searchQuerySchema } from '@chat/contracts';
import { AppError, bearerToken, parseOrThrow, type VerifyToken } from '@chat/service-kit';
import { Router } from 'express';
import type { MemberRoom, MemberRooms } from './member-rooms.js';
import { rethrowUnavailable } from './message-store.js';
import { searchRooms } from './message-search.js';
import type { MessageServiceMetrics } from './metrics.js';
import type { ReadLimiter } from './read-limiter.js';
import type { SearchRepository } from './search-repository.js';

export interface SearchRoutesDeps {
  verifyToken: VerifyToken;
  memberRooms: MemberRooms;
  repo: SearchRepository;
  metrics: MessageServiceMetrics;
  readLimiter: ReadLimiter;
  /** SEARCH_TIME_BUDGET_MS: the whole request, membership read included. */
  budgetMs: number;
  /** SEARCH_ROOMS_IN_FLIGHT. */
  inFlight: number;
  /** SEARCH_PER_USER_IN_FLIGHT: searches one user may have running on this replica at once. */
  perUserInFlight: number;
}

/**
 * `GET /messages/search?q&roomId&limit` (DESIGN.md §2): the caller's rooms by durable
 * membership, or the one `roomId` they are a member of (403 otherwise).
 */
export function searchRouter({
  verifyToken,
  memberRooms,
  repo,
  metrics,
  readLimiter,
  budgetMs,
  inFlight,
  perUserInFlight,
}: SearchRoutesDeps): Router {
  const router = Router();
  /**
   * Searches running per user. A search may scan for up to the whole budget, so the read rate
   * alone (20/s) would let one user hold ~40 scans at once; this bounds them per replica.
   */
  const running = new Map<string, number>();
  router.get('/messages/search', async (req, res) => {
    const deadline = Date.now() + budgetMs;
    const end = metrics.searchLatency.startTimer();
    const identity = verifyToken(bearerToken(req.headers.authorization));
    const { q, roomId, limit } = parseOrThrow(searchQuerySchema, req.query, 'query');
    // Taken before membership is read (unlike history, whose access check reads nothing):
    // a forbidden roomId costs a MongoDB read, so it costs budget too.
    await readLimiter.take(identity.userId);
    const mine = running.get(identity.userId) ?? 0;
    if (mine >= perUserInFlight) {
      throw new AppError('RATE_LIMITED', 'a search of yours is still running; try again when it ends', {
        retryAfterSec: Math.max(1, Math.ceil(budgetMs / 1000)),
      });
    }
    running.set(identity.userId, mine + 1);
    let answer: Awaited<ReturnType<typeof searchRooms>>;
    try {
      let rooms: MemberRoom[];
      if (roomId === undefined) rooms = await memberRooms.roomsOf(identity.userId).catch(rethrowUnavailable);
      else if (await memberRooms.isMember(roomId, identity.userId).catch(rethrowUnavailable)) rooms = [{ roomId }];
      else throw new AppError('FORBIDDEN', 'not a member of this room');
      answer = await searchRooms(repo, { rooms, q, limit, deadline, inFlight });
    } finally {
      const left = (running.get(identity.userId) ?? 1) - 1;
      if (left > 0) running.set(identity.userId, left);
      else running.delete(identity.userId);
    }
    end({ partial: String(answer.partial) });
    res.setHeader('Cache-Control', 'private, no-store');
    res.json(answer);
  });
  return router;
}
