import { searchResponseSchema, type SearchResponse } from '@chat/contracts';
import { requestJson } from './http.js';

/** `GET /messages/search` (DESIGN.md §2): newest first, only rooms the caller is a member of. */
export function searchMessages(
  token: string,
  q: string,
  opts: { roomId?: string; limit?: number; signal?: AbortSignal } = {},
): Promise<SearchResponse> {
  const query = new URLSearchParams({ q });
  if (opts.roomId) query.set('roomId', opts.roomId);
  if (opts.limit) query.set('limit', String(opts.limit));
  return requestJson(`/messages/search?${query}`, {
    token,
    schema: searchResponseSchema,
    ...(opts.signal && { signal: opts.signal }),
  });
}
