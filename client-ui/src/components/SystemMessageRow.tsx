import type { Message } from '@chat/contracts';
import { memo } from 'react';
import { formatTime } from '../format.js';
import './SystemMessageRow.css';

/** A message from the internal publish API: a centred notice, no avatar or bubble; text as text. */
export const SystemMessageRow = memo(function SystemMessageRow({ message }: { message: Message }) {
  return (
    <li className="msg-system" data-testid="message" data-status="sent" data-system="true" data-message-id={message.id}>
      <p className="msg-system__text">
        <span className="msg-system__sender">{message.senderName}</span>{' '}
        <span data-testid="message-text">{message.text}</span>
      </p>
      <time className="msg-system__time" dateTime={message.createdAt}>
        {formatTime(message.createdAt)}
      </time>
    </li>
  );
});
