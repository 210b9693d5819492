import type { Message } from '@chat/contracts';

/**
 * Where the "New messages" divider goes: above the first message from someone else after
 * the read marker the room had when it was opened, among the messages that existed then
 * (`openLastSeq`), so messages arriving while the room is watched do not move it.
 */
export function unreadDividerId(
  messages: readonly Message[],
  meId: string,
  opened: { lastReadSeq: number; lastSeq: number } | undefined,
): string | undefined {
  if (!opened) return undefined;
  return messages.find((m) => m.seq > opened.lastReadSeq && m.seq <= opened.lastSeq && m.senderId !== meId)?.id;
}

/** In a direct room: the last own message the peer's read marker covers ("Seen" goes under it). */
export function seenMessageId(
  messages: readonly Message[],
  meId: string,
  peerReadSeq: number | undefined,
): string | undefined {
  if (peerReadSeq === undefined) return undefined;
  return messages.findLast((m) => m.senderId === meId && m.seq <= peerReadSeq && !m.deletedAt)?.id;
}

/** The seq to mark read now: the newest message held, when it is past what was already marked. */
export function markReadTarget(messages: readonly Message[], alreadyMarked: number): number | undefined {
  const newest = messages.at(-1)?.seq;
  return newest !== undefined && newest > alreadyMarked ? newest : undefined;
}
