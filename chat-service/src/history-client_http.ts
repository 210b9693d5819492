import { historyResponseSchema, type HistoryResponse } from '@chat/contracts';
import { AppError } from '@chat/service-kit';
import type { HistoryClient, HistoryPageQuery } from './history-client.js';

/** message-service over HTTP, bounded by a timeout; any failure is an upstream error. */
export function createHttpHistoryClient(baseUrl: string, timeoutMs: number): HistoryClient {
  const base = baseUrl.replace(/\/$/, '');
  return {
    async page(roomId: string, query: HistoryPageQuery, token: string): Promise<HistoryResponse> {
      const params = new URLSearchParams({ limit: String(query.limit) });
      if (query.before !== undefined) params.set('before', String(query.before));
      if (query.after !== undefined) params.set('after', String(query.after));
      const url = `${base}/messages/history/${encodeURIComponent(roomId)}?${params}`;
      let res: Response;
      try {
        res = await fetch(url, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const timedOut = err instanceof Error && err.name === 'TimeoutError';
        throw new AppError(timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNAVAILABLE', 'message history unavailable', {
          cause: err,
        });
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new AppError('UPSTREAM_UNAVAILABLE', `message history answered ${res.status}`);
      }
      const parsed = historyResponseSchema.safeParse(await res.json().catch(() => null));
      if (!parsed.success) throw new AppError('UPSTREAM_UNAVAILABLE', 'message history answered malformed JSON');
      return parsed.data;
    },
  };
}
