import type { HistoryResponse, Message, RoomSummary } from '@chat/contracts';

/** A room the user is a member of, with their read marker there. */
export type RoomMembership = Pick<RoomSummary, 'roomId' | 'lastReadSeq'>;

export interface HistoryPageQuery {
  limit: number;
  before?: number;
  /** A seq cursor; with `changedAfter`, a version cursor. */
  after?: number;
  /** Messages with seq ≤ this changed after it (version > it), by version (DESIGN.md §3.1). */
  changedAfter?: number;
}

/** message-service's history and room-list API, called with the end user's token (no internal secret). */
export interface HistoryClient {
  page(roomId: string, query: HistoryPageQuery, token: string): Promise<HistoryResponse>;
  /** One message in its current state; null when message-service does not hold it. */
  message(roomId: string, messageId: string, token: string): Promise<Message | null>;
  /** `GET /messages/rooms`: every room the token's user is a member of, with their read marker (the durable membership). */
  rooms(token: string): Promise<RoomMembership[]>;
}
