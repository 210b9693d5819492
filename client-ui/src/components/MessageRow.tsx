import type { Message } from '@chat/contracts';
import { memo } from 'react';
import type { OutgoingMessage } from '../messages/timeline.js';
import { Avatar } from './Avatar.js';
import { MessageText } from './MessageText.js';
import { MessageTime } from './MessageTime.js';
import { SystemMessageRow } from './SystemMessageRow.js';

interface MessageRowProps {
  message: Message | OutgoingMessage;
  /** Confirmed, or the state of an own unconfirmed send. */
  status: 'sent' | OutgoingMessage['status'];
  own: boolean;
  /** Same sender as the row above, moments ago: no repeated name and avatar. */
  continued: boolean;
  onRetry?: (clientMsgId: string) => void;
}

/**
 * One message. Its text is React text nodes and links: markup in it is shown, never interpreted.
 * Memoised: a new message re-renders only its own row, not the whole history.
 */
export const MessageRow = memo(function MessageRow({ message, status, own, continued, onRetry }: MessageRowProps) {
  if ('system' in message && message.system) return <SystemMessageRow message={message} />;
  const classes = ['msg', own ? 'msg--own' : 'msg--other', continued && 'msg--continued', `msg--${status}`];
  return (
    <li className={classes.filter(Boolean).join(' ')} data-testid="message" data-status={status}>
      {!own && (
        <div className="msg__gutter">{!continued && <Avatar name={message.senderName} seed={message.senderId} />}</div>
      )}
      <div className="msg__body">
        {own ? (
          <span className="sr-only">You:</span>
        ) : (
          <span className={continued ? 'sr-only' : 'msg__sender'}>{message.senderName}</span>
        )}
        <div className="msg__bubble">
          <p className="msg__text" data-testid="message-text">
            <MessageText text={message.text} />
          </p>
          <MessageTime at={message.createdAt} />
        </div>
        {status === 'pending' && <span className="msg__state">Sending…</span>}
        {status === 'failed' && (
          <span className="msg__state msg__state--failed">
            {('error' in message && message.error) || 'Not sent.'}{' '}
            <button type="button" className="link-button" onClick={() => onRetry?.(message.clientMsgId)}>
              Retry
            </button>
          </span>
        )}
      </div>
    </li>
  );
});
