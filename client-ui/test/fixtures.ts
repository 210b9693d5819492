import type { Message } from '@chat/contracts';

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
