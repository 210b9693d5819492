import {
  historyResponseSchema,
  messageResponseSchema,
  roomSummarySchema,
  type HistoryResponse,
  type Message,
} from '@chat/contracts';
import { AppError } from '@chat/service-kit';
import { z, type ZodType } from 'zod';
import type { HistoryClient, HistoryPageQuery, RoomMembership } from './history-client.js';

/** Of the room list, what membership needs: a summary's other fields may grow without breaking it. */
const roomMembershipsSchema = z.object({
  rooms: z.array(roomSummarySchema.pick({ roomId: true, lastReadSeq: true })),
});

/** message-service over HTTP, bounded by a timeout; any failure is an upstream error. */
export function createHttpHistoryClient(baseUrl: string, timeoutMs: number): HistoryClient {
  const origin = baseUrl.replace(/\/$/, '');
  const base = `${origin}/messages/history`;

  /** The parsed answer, or null for a 404; every other failure is an upstream error. */
  async function getJson<T>(url: string, token: string, schema: ZodType<T>): Promise<T | null> {
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
      if (res.status === 404) return null;
      throw new AppError('UPSTREAM_UNAVAILABLE', `message history answered ${res.status}`);
    }
    const parsed = schema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new AppError('UPSTREAM_UNAVAILABLE', 'message history answered malformed JSON');
    return parsed.data;
  }

  return {
    async page(roomId: string, query: HistoryPageQuery, token: string): Promise<HistoryResponse> {
      const params = new URLSearchParams({ limit: String(query.limit) });
      for (const name of ['before', 'after', 'changedAfter'] as const) {
        const value = query[name];
        if (value !== undefined) params.set(name, String(value));
      }
      const page = await getJson(`${base}/${encodeURIComponent(roomId)}?${params}`, token, historyResponseSchema);
      if (page === null) throw new AppError('UPSTREAM_UNAVAILABLE', 'message history answered 404');
      return page;
    },
    async message(roomId: string, messageId: string, token: string): Promise<Message | null> {
      const url = `${base}/${encodeURIComponent(roomId)}/${encodeURIComponent(messageId)}`;
      const found = await getJson(url, token, messageResponseSchema);
      return found?.message ?? null;
    },
    async rooms(token: string): Promise<RoomMembership[]> {
      const list = await getJson(`${origin}/messages/rooms`, token, roomMembershipsSchema);
      if (list === null) throw new AppError('UPSTREAM_UNAVAILABLE', 'room list answered 404');
      return list.rooms;
    },
  };
}
