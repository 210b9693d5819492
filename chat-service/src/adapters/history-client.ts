import type { HistoryResponse, Message } from '@chat/contracts';

export interface HistoryPageQuery {
  limit: number;
  before?: number;
  /** A seq cursor; with `changedAfter`, a version cursor. */
  after?: number;
  /** Messages with seq ≤ this changed after it (version > it), by version (DESIGN.md §3.1). */
  changedAfter?: number;
}

/** message-service's history API, called with the end user's token (no internal secret). */
export interface HistoryClient {
  page(roomId: string, query: HistoryPageQuery, token: string): Promise<HistoryResponse>;
  /** One message in its current state; null when message-service does not hold it. */
  message(roomId: string, messageId: string, token: string): Promise<Message | null>;
}
