import { HISTORY_LIMIT_DEFAULT, historyResponseSchema, type HistoryResponse } from '@chat/contracts';
import { requestJson } from './http.js';

export type HistoryCursor = { before: number } | { after: number } | Record<string, never>;

/** One page of a room's history, ascending seq; no cursor = the newest page. */
export function fetchHistory(
  token: string,
  roomId: string,
  cursor: HistoryCursor = {},
  limit = HISTORY_LIMIT_DEFAULT,
): Promise<HistoryResponse> {
  const query = new URLSearchParams({ limit: String(limit) });
  if ('before' in cursor) query.set('before', String(cursor.before));
  if ('after' in cursor) query.set('after', String(cursor.after));
  return requestJson(`/messages/history/${encodeURIComponent(roomId)}?${query}`, {
    token,
    schema: historyResponseSchema,
  });
}
