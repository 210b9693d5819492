import type { ReactNode } from 'react';
import './membership.css';

interface MessageRowWithMarksProps {
  /** The confirmed message of the row (undefined for an own message still pending). */
  messageId: string | undefined;
  dividerBeforeId: string | undefined;
  seenId: string | undefined;
  children: ReactNode;
}

/** A message row with the "New messages" divider above it or "Seen" under it, when either belongs to it. */
export function MessageRowWithMarks({ messageId, dividerBeforeId, seenId, children }: MessageRowWithMarksProps) {
  const divider = messageId !== undefined && messageId === dividerBeforeId;
  const seen = messageId !== undefined && messageId === seenId;
  return (
    <>
      {divider && (
        <li className="day-separator unread-divider" data-testid="unread-divider">
          <span>New messages</span>
        </li>
      )}
      {children}
      {seen && (
        <li className="seen-mark" data-testid="seen-mark">
          Seen
        </li>
      )}
    </>
  );
}

/** The line under the timeline saying who is typing; it keeps its height so the view does not jump. */
export function TypingLine({ text }: { text: string | undefined }) {
  return (
    <div className="typing-line" data-testid="typing-line" aria-live="polite">
      {text && (
        <>
          <span className="typing-line__dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          {text}
        </>
      )}
    </div>
  );
}
