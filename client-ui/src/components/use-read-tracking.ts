import type { Message } from '@chat/contracts';
import { useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { markReadTarget } from '../rooms/read-markers.js';
import type { RoomActivity } from '../rooms/room-activity.js';
import { TypingThrottle } from '../rooms/typing.js';

/** Wait this long on a settled view before marking it read (scrolling past does not count). */
const MARK_READ_DEBOUNCE_MS = 500;

/** Whether the page is shown and has focus: only then is what is on screen read. */
function usePageAttended(): boolean {
  const attended = () => document.visibilityState === 'visible' && document.hasFocus();
  const [value, setValue] = useState(attended);
  useEffect(() => {
    const check = () => setValue(attended());
    document.addEventListener('visibilitychange', check);
    window.addEventListener('focus', check);
    window.addEventListener('blur', check);
    return () => {
      document.removeEventListener('visibilitychange', check);
      window.removeEventListener('focus', check);
      window.removeEventListener('blur', check);
    };
  }, []);
  return value;
}

/**
 * The open room's read marker: while the page is attended and the view rests at the newest
 * message, that message is marked read (debounced, forward only), and new messages arriving
 * then do not count as unread. Answers the setter for "at the newest" (the message list's).
 */
export function useReadTracking(activity: RoomActivity, roomId: string, messages: readonly Message[]) {
  const attended = usePageAttended();
  const [atBottom, setAtBottom] = useState(true);
  const reading = attended && atBottom;
  const marked = useRef(-1);

  useEffect(() => {
    activity.setViewing(roomId, reading);
    return () => activity.setViewing(undefined, false);
  }, [activity, roomId, reading]);

  useEffect(() => {
    if (!reading) return;
    const seq = markReadTarget(messages, marked.current);
    if (seq === undefined) return;
    const timer = setTimeout(() => {
      marked.current = seq;
      activity.markRead(roomId, seq);
    }, MARK_READ_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [activity, roomId, reading, messages]);

  return setAtBottom;
}

/**
 * The composer's typing indicator: `typing: true` while the text changes (renewed every few
 * seconds), `typing: false` on send, on clearing the text, on leaving the field and on
 * leaving the room.
 */
export function useTypingSender(
  activity: RoomActivity,
  roomId: string,
  field: RefObject<HTMLTextAreaElement | null>,
): TypingThrottle {
  const throttle = useMemo(
    () => new TypingThrottle((typing) => activity.sendTyping(roomId, typing)),
    [activity, roomId],
  );
  useEffect(() => {
    const el = field.current;
    const stop = () => throttle.stop();
    el?.addEventListener('blur', stop);
    return () => {
      el?.removeEventListener('blur', stop);
      throttle.stop();
    };
  }, [throttle, field]);
  return throttle;
}
