import type { ReplyTo } from '@chat/contracts';
import { ReplyIcon } from './icons.js';

/** What a quote says: the excerpt, or that the original is gone (a deleted message's excerpt is empty). */
export const quoteText = (replyTo: ReplyTo) => replyTo.excerpt || 'Message deleted';

/** The quote above a reply: a button that scrolls to the original and highlights it. */
export function ReplyQuote({ replyTo, onJump }: { replyTo: ReplyTo; onJump: (replyTo: ReplyTo) => void }) {
  return (
    <button
      type="button"
      className="reply-quote"
      data-testid="reply-quote"
      title="Show the original message"
      onClick={() => onJump(replyTo)}
    >
      <ReplyIcon />
      {/* Named by its visible text, with the words a screen reader needs around it. */}
      <span className="sr-only">In reply to </span>
      <span className="reply-quote__sender">{replyTo.senderName}</span>
      <span className="sr-only">: </span>
      <span className={replyTo.excerpt ? 'reply-quote__text' : 'reply-quote__text reply-quote__text--gone'}>
        {quoteText(replyTo)}
      </span>
    </button>
  );
}
