import { canAccessRoom, historyParamsSchema, historyQuerySchema, messageParamsSchema } from '@chat/contracts';
import { AppError, bearerToken, parseOrThrow, type VerifyToken } from '@chat/service-kit';
import { Router } from 'express';
import type { CachedHistory } from './history-cache.js';
import type { MessageServiceMetrics } from './metrics.js';
import type { ReadLimiter } from './read-limiter.js';

export interface HistoryRoutesDeps {
  verifyToken: VerifyToken;
  history: CachedHistory;
  metrics: MessageServiceMetrics;
  readLimiter: ReadLimiter;
}

/** `GET /messages/history/:roomId?limit&before|after` (DESIGN.md §2), read like a join: dm rooms for their two members only. */
export function historyRouter({ verifyToken, history, metrics, readLimiter }: HistoryRoutesDeps): Router {
  const router = Router();
  router.get('/messages/history/:roomId', async (req, res) => {
    const end = metrics.historyLatency.startTimer();
    const identity = verifyToken(bearerToken(req.headers.authorization));
    const { roomId } = parseOrThrow(historyParamsSchema, req.params, 'params');
    const query = parseOrThrow(historyQuerySchema, req.query, 'query');
    if (!canAccessRoom(identity.userId, roomId)) throw new AppError('FORBIDDEN', 'not a member of this room');
    // Counted only for reads that would be served: malformed or forbidden ones cost no budget.
    await readLimiter.take(identity.userId);
    const { json, source } = await history.read(roomId, query);
    end({ source });
    // A HistoryResponse already in JSON (as cached): sent as is, not parsed and stringified again.
    // No ETag (express would hash every page): nothing revalidates what is never stored.
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', json.length);
    res.end(json);
  });
  /**
   * `GET /messages/history/:roomId/:messageId`: one message in its current state, read like a
   * page (same access and budget) but not cached: chat-service reads it to change, or quote,
   * a message older than its recent buffer.
   */
  router.get('/messages/history/:roomId/:messageId', async (req, res) => {
    const identity = verifyToken(bearerToken(req.headers.authorization));
    const { roomId, messageId } = parseOrThrow(messageParamsSchema, req.params, 'params');
    if (!canAccessRoom(identity.userId, roomId)) throw new AppError('FORBIDDEN', 'not a member of this room');
    await readLimiter.take(identity.userId);
    const message = await history.message(roomId, messageId);
    if (message === null) throw new AppError('NOT_FOUND', 'no such message in this room');
    res.setHeader('Cache-Control', 'private, no-store');
    res.json({ message });
  });
  return router;
}
