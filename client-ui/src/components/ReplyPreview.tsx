import type { ReplyTo } from '@chat/contracts';
import { CloseIcon } from './icons.js';
import { quoteText } from './ReplyQuote.js';

/** Above the composer while writing a reply: who and what is answered, and × to write a plain message instead. */
export function ReplyPreview({ replyTo, onCancel }: { replyTo: ReplyTo; onCancel: () => void }) {
  return (
    <div className="reply-preview" data-testid="reply-preview">
      <div className="reply-preview__quote">
        <span className="reply-preview__label">
          Replying to <strong>{replyTo.senderName}</strong>
        </span>
        <span className="reply-preview__text">{quoteText(replyTo)}</span>
      </div>
      <button type="button" className="icon-button reply-preview__cancel" aria-label="Cancel reply" onClick={onCancel}>
        <CloseIcon />
      </button>
    </div>
  );
}
