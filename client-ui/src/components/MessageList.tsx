import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { dayKey, dayLabel } from '../format.js';
import { groupRows } from '../messages/grouping.js';
import type { PendingChange } from '../messages/pending-changes.js';
import { timelineItems, type Timeline } from '../messages/timeline.js';
import { ArrowDownIcon } from './icons.js';
import type { MessageActionHandlers } from './MessageActions.js';
import { MessageRow } from './MessageRow.js';
import { MessageRowWithMarks } from './ReadMarks.js';

interface MessageListProps {
  /** Accessible name of the list ("Messages in #general"). */
  label: string;
  /** Shown above the first message once the whole history is loaded. */
  beginning: string;
  timeline: Timeline;
  loading: boolean;
  loadingOlder: boolean;
  meId: string;
  onLoadOlder: () => void;
  onRetry: (clientMsgId: string) => void;
  /** Own unconfirmed or failed changes, by message id. */
  changes?: ReadonlyMap<string, PendingChange[]>;
  /** The message being edited in place. */
  editingId?: string | undefined;
  /** Edit, delete, react, reply; without them the list is read-only. */
  actions?: MessageActionHandlers;
  /** Scroll to this message and highlight it (a reply's original); a new `key` jumps again. */
  jump?: { id: string; key: number } | undefined;
  /** The "New messages" divider goes above this message (the first unread when the room was opened). */
  dividerBeforeId?: string | undefined;
  /** "Seen" goes under this own message (the peer's read marker in a direct room). */
  seenId?: string | undefined;
  /** Whether the view is at the newest message, each time that changes (read markers follow it). */
  onAtBottomChange?: (atBottom: boolean) => void;
}

const NO_CHANGES: ReadonlyMap<string, PendingChange[]> = new Map();

/** How long a message jumped to stays highlighted. */
const HIGHLIGHT_MS = 2_500;

/** Within this many pixels of an edge counts as being at it. */
const EDGE_PX = 120;

/**
 * Newest at the bottom. Scrolling near the top asks for the previous page, and the view
 * stays where it was when that page is prepended. New messages keep the view pinned to the
 * bottom if it was there (or if they are our own); otherwise a "new messages" button appears.
 */
export function MessageList(props: MessageListProps) {
  const {
    timeline,
    loading,
    loadingOlder,
    meId,
    onLoadOlder,
    onRetry,
    changes = NO_CHANGES,
    editingId,
    actions,
    jump,
    dividerBeforeId,
    seenId,
    onAtBottomChange,
  } = props;
  const rows = useMemo(() => groupRows(timelineItems(timeline)), [timeline]);
  const nameOf = useSenderNames(timeline);
  const [highlighted, setHighlighted] = useState<string>();
  const scrollRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const previous = useRef<{ first?: string; last?: string; height: number }>({ height: 0 });
  const [unseen, setUnseen] = useState(false);
  const reportedBottom = useRef<boolean>(undefined);
  const reportBottom = () => {
    if (reportedBottom.current === atBottom.current) return;
    reportedBottom.current = atBottom.current;
    onAtBottomChange?.(atBottom.current);
  };

  const firstKey = rows.find((r) => r.kind === 'item')?.key;
  const lastRow = rows.at(-1);
  const lastKey = lastRow?.key;

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const prev = previous.current;
    if (prev.first !== undefined && firstKey !== prev.first && lastKey === prev.last) {
      // An older page went in above: keep the same messages under the reader's eyes.
      el.scrollTop += el.scrollHeight - prev.height;
    } else if (lastKey !== prev.last) {
      const own = lastRow?.kind === 'item' && lastRow.item.message.senderId === meId;
      if (atBottom.current || own || prev.last === undefined) {
        el.scrollTop = el.scrollHeight;
        atBottom.current = true;
      } else {
        setUnseen(true);
      }
    }
    previous.current = { first: firstKey, last: lastKey, height: el.scrollHeight };
    reportBottom();
  });

  // Keep the newest message in view when the viewport shrinks (banner, keyboard, rotation).
  useEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // A first page shorter than the viewport cannot be scrolled: fetch more until it fills.
  useEffect(() => {
    const el = scrollRef.current;
    if (el && !loading && !loadingOlder && timeline.hasOlder && el.scrollHeight <= el.clientHeight + EDGE_PX) {
      onLoadOlder();
    }
  }, [loading, loadingOlder, timeline.hasOlder, firstKey, onLoadOlder]);

  // A reply's quote was clicked: bring its original into view, focus it, and highlight it a moment.
  useEffect(() => {
    if (!jump) return;
    const el = scrollRef.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(jump.id)}"]`);
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    el.focus({ preventScroll: true });
    setHighlighted(jump.id);
    const timer = setTimeout(() => setHighlighted(undefined), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [jump]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < EDGE_PX;
    if (atBottom.current) setUnseen(false);
    reportBottom();
    if (el.scrollTop < EDGE_PX && timeline.hasOlder && !loadingOlder) onLoadOlder();
  };

  const scrollToBottom = () => {
    const el = scrollRef.current;
    if (el) el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setUnseen(false);
    reportBottom();
  };

  return (
    <div className="messages">
      <div className="messages__scroll" ref={scrollRef} onScroll={onScroll} data-testid="message-scroll">
        <div className="messages__top">
          {loading || loadingOlder ? (
            <span className="messages__loading" role="status">
              <span className="spinner" aria-hidden="true" /> Loading messages…
            </span>
          ) : (
            !timeline.hasOlder && <span className="messages__beginning">{props.beginning}</span>
          )}
        </div>
        <ol className="messages__list" aria-label={props.label}>
          {rows.map((row) =>
            row.kind === 'day' ? (
              <li key={row.key} className="day-separator" data-testid="day-separator">
                <time dateTime={dayKey(row.at)}>{dayLabel(row.at)}</time>
              </li>
            ) : (
              <MessageRowWithMarks
                key={row.key}
                messageId={row.item.kind === 'message' ? row.item.message.id : undefined}
                dividerBeforeId={dividerBeforeId}
                seenId={seenId}
              >
                <MessageRow
                  message={row.item.message}
                  status={row.item.kind === 'message' ? 'sent' : row.item.message.status}
                  own={row.item.message.senderId === meId}
                  continued={row.continued}
                  onRetry={onRetry}
                  meId={meId}
                  changes={row.item.kind === 'message' ? changes.get(row.item.message.id) : undefined}
                  nameOf={nameOf}
                  editing={row.item.kind === 'message' && row.item.message.id === editingId}
                  highlighted={row.item.kind === 'message' && row.item.message.id === highlighted}
                  actions={actions}
                />
              </MessageRowWithMarks>
            ),
          )}
        </ol>
      </div>
      {unseen && (
        <button type="button" className="messages__jump" onClick={scrollToBottom}>
          <ArrowDownIcon /> New messages
        </button>
      )}
    </div>
  );
}

/**
 * Who is who in this room, from the messages loaded (for who reacted). A new function only
 * when a new sender appears, so the memoised rows do not all re-render with every message.
 */
function useSenderNames(timeline: Timeline): (userId: string) => string | undefined {
  const names = new Map(timeline.messages.map((m) => [m.senderId, m.senderName]));
  const senders = [...names.keys()].sort().join();
  const latest = useRef(names);
  latest.current = names;
  return useCallback((userId: string) => latest.current.get(userId), [senders]);
}
