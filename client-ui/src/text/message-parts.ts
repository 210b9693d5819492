import { mentionRanges } from '@chat/contracts';
import { linkify } from './linkify.js';

/**
 * A message's text as runs to render as React text nodes: plain text, http(s) links, and
 * `@username` mentions (found by the same rule chat-service uses for `Message.mentions`),
 * marked `own` when they name the reader. Never HTML.
 */
export type MessagePart =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string }
  | { kind: 'mention'; text: string; username: string; own: boolean };

export function messageParts(text: string, myUsername?: string): MessagePart[] {
  const parts: MessagePart[] = [];
  for (const part of linkify(text)) {
    if (part.kind === 'link') {
      parts.push(part);
      continue;
    }
    let from = 0;
    for (const { start, end, username } of mentionRanges(part.text)) {
      if (start > from) parts.push({ kind: 'text', text: part.text.slice(from, start) });
      parts.push({ kind: 'mention', text: part.text.slice(start, end), username, own: username === myUsername });
      from = end;
    }
    if (from < part.text.length) parts.push({ kind: 'text', text: part.text.slice(from) });
  }
  return parts;
}
