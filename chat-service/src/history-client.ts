import type { HistoryResponse } from '@chat/contracts';

export interface HistoryPageQuery {
  limit: number;
  before?: number;
  after?: number;
}

/** message-service's history API, called with the end user's token (no internal secret). */
export interface HistoryClient {
  page(roomId: string, query: HistoryPageQuery, token: string): Promise<HistoryResponse>;
}
