import { useMemo } from 'react';
import { linkify } from '../text/linkify.js';

/**
 * A message's text as React text nodes, with its http(s) URLs as links that open in a new tab
 * without handing it `window.opener` or a Referer. Nothing is ever parsed as HTML.
 */
export function MessageText({ text }: { text: string }) {
  const parts = useMemo(() => linkify(text), [text]);
  return parts.map((part, i) =>
    part.kind === 'link' ? (
      <a key={i} className="msg__link" href={part.href} target="_blank" rel="noopener noreferrer">
        {part.text}
      </a>
    ) : (
      part.text
    ),
  );
}
