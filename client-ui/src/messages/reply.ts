import { REPLY_EXCERPT_MAX, type Message, type ReplyTo } from '@chat/contracts';

/** A one-line quote of `text`: whitespace runs folded, cut at a code point boundary with an ellipsis. */
export function replyExcerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= REPLY_EXCERPT_MAX
    ? flat
    : `${chars
        .slice(0, REPLY_EXCERPT_MAX - 1)
        .join('')
        .trimEnd()}…`;
}

/** How a reply to `message` quotes it, until the server's copy (with its own excerpt) arrives. */
export function replyToOf(message: Message): ReplyTo {
  const { id, seq, senderName, text } = message;
  return { id, seq, senderName, excerpt: replyExcerpt(text) };
}
