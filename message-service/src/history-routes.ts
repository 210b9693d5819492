import { canAccessRoom, historyParamsSchema, historyQuerySchema, type HistoryResponse } from '@chat/contracts';
import { AppError, bearerToken, parseOrThrow, type VerifyToken } from '@chat/service-kit';
import { Router } from 'express';
import type { CachedHistory } from './history-cache.js';
import type { MessageServiceMetrics } from './metrics.js';

export interface HistoryRoutesDeps {
  verifyToken: VerifyToken;
  history: CachedHistory;
  metrics: MessageServiceMetrics;
}

/** `GET /messages/history/:roomId?limit&before|after` (DESIGN.md §2), read like a join: dm rooms for their two members only. */
export function historyRouter({ verifyToken, history, metrics }: HistoryRoutesDeps): Router {
  const router = Router();
  router.get('/messages/history/:roomId', async (req, res) => {
    const end = metrics.historyLatency.startTimer();
    const identity = verifyToken(bearerToken(req.headers.authorization));
    const { roomId } = parseOrThrow(historyParamsSchema, req.params, 'params');
    const query = parseOrThrow(historyQuerySchema, req.query, 'query');
    if (!canAccessRoom(identity.userId, roomId)) throw new AppError('FORBIDDEN', 'not a member of this room');
    const { page, source } = await history.read(roomId, query);
    end({ source });
    res.setHeader('Cache-Control', 'private, no-store');
    const body: HistoryResponse = page;
    res.json(body);
  });
  return router;
}
