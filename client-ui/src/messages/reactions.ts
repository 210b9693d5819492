import type { Reaction } from '@chat/contracts';

/** The picker's choice: the reactions people reach for most, with the names screen readers say. */
export const COMMON_REACTIONS: readonly { emoji: string; name: string }[] = [
  { emoji: '👍', name: 'thumbs up' },
  { emoji: '❤️', name: 'red heart' },
  { emoji: '😂', name: 'face with tears of joy' },
  { emoji: '🎉', name: 'party popper' },
  { emoji: '😮', name: 'face with open mouth' },
  { emoji: '😢', name: 'crying face' },
  { emoji: '🙏', name: 'folded hands' },
  { emoji: '👀', name: 'eyes' },
  { emoji: '🔥', name: 'fire' },
  { emoji: '👏', name: 'clapping hands' },
  { emoji: '✅', name: 'check mark' },
  { emoji: '🚀', name: 'rocket' },
];

/** `userId`'s reaction added to or taken from a message's reactions (idempotent, as on the server). */
export function toggleReaction(
  reactions: readonly Reaction[],
  emoji: string,
  userId: string,
  add: boolean,
): Reaction[] {
  const existing = reactions.find((r) => r.emoji === emoji);
  const has = existing?.userIds.includes(userId) ?? false;
  if (add === has) return [...reactions];
  if (add) {
    return existing
      ? reactions.map((r) => (r === existing ? { ...r, userIds: [...r.userIds, userId] } : r))
      : [...reactions, { emoji, userIds: [userId] }];
  }
  const userIds = existing!.userIds.filter((id) => id !== userId);
  return userIds.length > 0
    ? reactions.map((r) => (r === existing ? { ...r, userIds } : r))
    : reactions.filter((r) => r !== existing);
}

export interface ReactionChip {
  emoji: string;
  count: number;
  /** The reader reacted with it: the chip is highlighted and a click takes the reaction back. */
  mine: boolean;
  /** Who reacted, "you" first: "You, Ada Lovelace and someone". */
  who: string;
}

/**
 * A message's reactions as chips. Names come from the room's known senders (`nameOf`); a
 * reactor who never wrote in the loaded part of the room is "someone".
 */
export function reactionChips(
  reactions: readonly Reaction[],
  meId: string,
  nameOf: (userId: string) => string | undefined,
): ReactionChip[] {
  return reactions.map(({ emoji, userIds }) => {
    const mine = userIds.includes(meId);
    const others = userIds.filter((id) => id !== meId).map((id) => nameOf(id) ?? 'someone');
    return { emoji, count: userIds.length, mine, who: listNames(mine ? ['You', ...others] : others) };
  });
}

/** "A", "A and B", "A, B and C" in the reader's language conventions. */
function listNames(names: string[]): string {
  return new Intl.ListFormat(undefined, { style: 'long', type: 'conjunction' }).format(names);
}
