import { extractMentions, REACTIONS_MAX, REPLY_EXCERPT_MAX, type Message, type ReplyTo } from '@chat/contracts';
import { AppError } from '@chat/service-kit';

/**
 * The state transitions of a message (DESIGN.md §3.2), pure: each returns the new state
 * without `version` (the caller gives it the room's next seq), or null when the event
 * changes nothing (an idempotent reaction).
 */

function assertNotDeleted(message: Message): void {
  if (message.deletedAt !== undefined) throw new AppError('INVALID', 'this message was deleted');
}

export function assertSender(message: Message, userId: string): void {
  if (message.senderId !== userId) throw new AppError('FORBIDDEN', 'only the sender may change this message');
}

export function edited(message: Message, text: string, at: string): Message {
  assertNotDeleted(message);
  const { mentions: _mentions, ...rest } = message;
  return { ...rest, ...mentionsOf(text), text, editedAt: at };
}

/** `mentions` of a message with this text (DESIGN.md §3, Message): the usernames it @-mentions, when any. */
export function mentionsOf(text: string): Pick<Message, 'mentions'> {
  // Every mention has an '@': most texts need no scan (0.4 KB of iterator and set a send).
  if (!text.includes('@')) return {};
  const mentions = extractMentions(text);
  return mentions.length > 0 ? { mentions } : {};
}

/** A deleted message keeps its place and identity (id, seq, sender, createdAt) and loses its content. */
export function deleted(message: Message, at: string): Message {
  assertNotDeleted(message);
  const {
    replyTo,
    attachments: _attachments,
    reactions: _reactions,
    editedAt: _editedAt,
    mentions: _mentions,
    ...kept
  } = message;
  return { ...kept, text: '', deletedAt: at, ...(replyTo ? { replyTo: { ...replyTo, excerpt: '' } } : {}) };
}

/** Adds or takes back `userId`'s `emoji`; null when that is already so. */
export function reacted(message: Message, userId: string, emoji: string, add: boolean): Message | null {
  assertNotDeleted(message);
  const reactions = message.reactions ?? [];
  const current = reactions.find((r) => r.emoji === emoji);
  if (add === (current?.userIds.includes(userId) ?? false)) return null;
  if (add && !current && reactions.length >= REACTIONS_MAX) {
    throw new AppError('INVALID', `at most ${REACTIONS_MAX} different reactions per message`, { field: 'emoji' });
  }
  const next = add
    ? current
      ? reactions.map((r) => (r === current ? { emoji, userIds: [...r.userIds, userId] } : r))
      : [...reactions, { emoji, userIds: [userId] }]
    : reactions
        .map((r) => (r === current ? { emoji, userIds: r.userIds.filter((u) => u !== userId) } : r))
        .filter((r) => r.userIds.length > 0);
  const { reactions: _old, ...rest } = message;
  return next.length > 0 ? { ...rest, reactions: next } : rest;
}

/** How a reply quotes `target`: '' once the target is deleted. */
export function quoteOf(target: Message): ReplyTo {
  return { id: target.id, seq: target.seq, senderName: target.senderName, excerpt: excerpt(target) };
}

function excerpt(target: Message): string {
  if (target.deletedAt !== undefined) return '';
  let cut = target.text.slice(0, REPLY_EXCERPT_MAX);
  // Never end on half of a surrogate pair (the store would refuse it).
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut;
}
