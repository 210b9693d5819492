import { formatFullDateTime, formatTime } from '../format.js';

/**
 * The short time of a message; its full date and time shows on hover and on keyboard focus,
 * and is what a screen reader reads (the short form is hidden from it).
 */
export function MessageTime({ at }: { at: string }) {
  return (
    <time className="msg__time" dateTime={at} tabIndex={0} data-testid="message-time">
      <span aria-hidden="true">{formatTime(at)}</span>
      <span className="msg__time-full">{formatFullDateTime(at)}</span>
    </time>
  );
}
