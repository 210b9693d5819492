import type { Message, RoomSummary } from '@chat/contracts';

export const ME_ID = 'a'.repeat(24);
export const ALICE_ID = 'b'.repeat(24);

/** A confirmed message in #general from Alice, one second apart per seq; override any field. */
export function message(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    roomId: 'general',
    seq,
    version: seq,
    senderId: ALICE_ID,
    senderName: 'Alice',
    text: `message ${seq}`,
    clientMsgId: `c${seq}`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 12, 0, seq)).toISOString(),
    ...over,
  };
}

/** A room as GET /messages/rooms lists it: read up to its last message (seq 5); override any field. */
export function summary(roomId: string, over: Partial<RoomSummary> = {}): RoomSummary {
  return { roomId, lastSeq: 5, lastReadSeq: 5, unread: 0, mentions: 0, ...over };
}

/** A private Storage per test, so nothing kept by one test leaks into the next. */
export class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, String(value));
  }
}
