import type { Message } from '@chat/contracts';
import type { RecentBuffer, RecentSlice } from './recent-buffer.js';

interface Entry {
  message: Message;
  pushedAt: number;
}

/** The Redis recent buffer's rules in one process, for unit tests. */
export class MemoryRecentBuffer implements RecentBuffer {
  private readonly rooms = new Map<string, { entries: Entry[]; floor: number }>();

  constructor(private readonly size: number) {}

  async push(roomId: string, seq: number, messageJson: string): Promise<void> {
    let room = this.rooms.get(roomId);
    if (!room) this.rooms.set(roomId, (room = { entries: [], floor: seq - 1 }));
    room.entries.push({ message: JSON.parse(messageJson) as Message, pushedAt: Date.now() });
    room.entries.sort((a, b) => a.message.seq - b.message.seq);
    const evicted = room.entries.splice(0, Math.max(0, room.entries.length - this.size));
    room.floor = Math.max(room.floor, ...evicted.map((e) => e.message.seq));
  }

  async since(roomId: string, sinceSeq: number, limit: number, stragglerWindowMs: number): Promise<RecentSlice> {
    const room = this.rooms.get(roomId);
    if (!room) return { messages: [], stragglers: [], completeAfter: null };
    const seen = room.entries.find((e) => e.message.seq === sinceSeq);
    return {
      messages: room.entries
        .filter((e) => e.message.seq > sinceSeq)
        .slice(0, limit)
        .map((e) => e.message),
      stragglers: seen
        ? room.entries
            .filter((e) => e.message.seq < sinceSeq && e.pushedAt >= seen.pushedAt - stragglerWindowMs)
            .map((e) => e.message)
        : [],
      completeAfter: room.floor,
    };
  }

  async highestSeq(roomId: string): Promise<number | null> {
    return this.rooms.get(roomId)?.entries.at(-1)?.message.seq ?? null;
  }
}
