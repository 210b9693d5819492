import type { SyntheticEvent } from 'react';
import { formatFullDateTime, formatTime } from '../format.js';

/** Escape hides the full date until focus or the pointer leaves (WCAG 1.4.13: dismissible). */
const dismiss = (e: SyntheticEvent<HTMLElement>) => {
  e.currentTarget.dataset.dismissed = '';
};
const restore = (e: SyntheticEvent<HTMLElement>) => {
  delete e.currentTarget.dataset.dismissed;
};

interface MessageTimeProps {
  at: string;
  /** Shown instead of the short time ("edited"). */
  shown?: string;
  /** Said before the full date ("Edited "). */
  prefix?: string;
  className?: string;
}

/**
 * The short time of a message; its full date and time shows on hover and on keyboard focus,
 * and is what a screen reader reads (the short form is hidden from it).
 */
export function MessageTime({ at, shown, prefix = '', className }: MessageTimeProps) {
  return (
    <time
      className={className ? `msg__time ${className}` : 'msg__time'}
      dateTime={at}
      tabIndex={0}
      data-testid={shown ? undefined : 'message-time'}
      onKeyDown={(e) => {
        if (e.key === 'Escape') dismiss(e);
      }}
      onBlur={restore}
      onMouseLeave={restore}
    >
      <span aria-hidden="true">{shown ?? formatTime(at)}</span>
      <span className="sr-only msg__time-full">
        {prefix}
        {formatFullDateTime(at)}
      </span>
    </time>
  );
}
