import { useMemo } from 'react';
import { useReader } from '../files/file-access.js';
import { messageParts } from '../text/message-parts.js';
import './mentions.css';

/**
 * A message's text as React text nodes, with its http(s) URLs as links that open in a new tab
 * without handing it `window.opener` or a Referer, and its `@username` mentions marked (the
 * reader's own more strongly). Nothing is ever parsed as HTML.
 */
export function MessageText({ text }: { text: string }) {
  const me = useReader()?.username;
  const parts = useMemo(() => messageParts(text, me), [text, me]);
  return parts.map((part, i) =>
    part.kind === 'link' ? (
      <a key={i} className="msg__link" href={part.href} target="_blank" rel="noopener noreferrer">
        {part.text}
      </a>
    ) : part.kind === 'mention' ? (
      <span key={i} className={part.own ? 'mention mention--me' : 'mention'} data-mention={part.username}>
        {part.text}
      </span>
    ) : (
      part.text
    ),
  );
}
