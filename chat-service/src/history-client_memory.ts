import type { HistoryResponse, Message } from '@chat/contracts';
import type { HistoryClient, HistoryPageQuery } from './history-client.js';

/** A stand-in for message-service in tests: pages over the messages `store()` was given. */
export class MemoryHistoryClient implements HistoryClient {
  private readonly rooms = new Map<string, Map<number, Message>>();
  /** When set, every page() fails with it (message-service down). */
  failure: Error | null = null;

  store(message: Message): void {
    let room = this.rooms.get(message.roomId);
    if (!room) this.rooms.set(message.roomId, (room = new Map()));
    room.set(message.seq, message);
  }

  /** How many messages the room holds (tests poll it). */
  pageSync(roomId: string): number {
    return this.rooms.get(roomId)?.size ?? 0;
  }

  async page(roomId: string, query: HistoryPageQuery, _token: string): Promise<HistoryResponse> {
    if (this.failure) throw this.failure;
    const all = [...(this.rooms.get(roomId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    if (query.after !== undefined) {
      const newer = all.filter((m) => m.seq > query.after!);
      return { messages: newer.slice(0, query.limit), hasMore: newer.length > query.limit };
    }
    const older = query.before === undefined ? all : all.filter((m) => m.seq < query.before!);
    return { messages: older.slice(-query.limit), hasMore: older.length > query.limit };
  }
}
