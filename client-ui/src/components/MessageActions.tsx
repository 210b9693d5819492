import type { Message, ReplyTo } from '@chat/contracts';
import { useCallback, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { AddReactionIcon, EditIcon, ReplyIcon, TrashIcon } from './icons.js';
import { ReactionPicker } from './ReactionPicker.js';

/** What a message's controls can ask of the room; one stable object, so rows stay memoised. */
export interface MessageActionHandlers {
  react: (messageId: string, emoji: string, add: boolean) => void;
  reply: (message: Message) => void;
  startEdit: (message: Message) => void;
  saveEdit: (message: Message, text: string) => void;
  cancelEdit: () => void;
  confirmDelete: (message: Message) => void;
  /** The phone's action sheet (long-press). */
  openSheet: (message: Message) => void;
  jumpTo: (replyTo: ReplyTo) => void;
  retryChange: (changeId: string) => void;
  dismissChange: (changeId: string) => void;
}

interface MessageActionsProps {
  message: Message;
  /** The reader sent it: Edit and Delete are offered. */
  editable: boolean;
  mine: ReadonlySet<string>;
  actions: MessageActionHandlers;
}

interface Action {
  label: string;
  icon: ReactNode;
  run: () => void;
}

/**
 * The hover toolbar of a message (also shown while anything in the row has keyboard focus).
 * One Tab stop: the arrow keys, Home and End move between its buttons (roving tabindex).
 */
export function MessageActions({ message, editable, mine, actions }: MessageActionsProps) {
  const [picking, setPicking] = useState(false);
  const [current, setCurrent] = useState(0);
  const reactButton = useRef<HTMLButtonElement>(null);
  const closePicker = useCallback((refocus: boolean) => {
    setPicking(false);
    if (refocus) reactButton.current?.focus();
  }, []);

  const list: Action[] = [
    { label: 'Add reaction', icon: <AddReactionIcon />, run: () => setPicking((p) => !p) },
    { label: 'Reply', icon: <ReplyIcon />, run: () => actions.reply(message) },
    ...(editable
      ? [
          { label: 'Edit', icon: <EditIcon />, run: () => actions.startEdit(message) },
          { label: 'Delete', icon: <TrashIcon />, run: () => actions.confirmDelete(message) },
        ]
      : []),
  ];

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const keys: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
    if (!(e.key in keys) || e.target instanceof HTMLElement === false || !e.target.matches('.msg__action')) return;
    e.preventDefault();
    const next = Math.min(list.length - 1, Math.max(0, current + keys[e.key]!));
    e.currentTarget.querySelectorAll<HTMLElement>('.msg__action')[next]?.focus();
  };

  return (
    <div
      role="toolbar"
      aria-label="Message actions"
      className={`msg__actions${picking ? ' msg__actions--open' : ''}`}
      onKeyDown={onKeyDown}
    >
      {list.map((action, i) => (
        <button
          key={action.label}
          ref={i === 0 ? reactButton : undefined}
          type="button"
          className="msg__action"
          aria-label={action.label}
          title={action.label}
          tabIndex={i === Math.min(current, list.length - 1) ? 0 : -1}
          aria-expanded={i === 0 ? picking : undefined}
          aria-haspopup={i === 0 ? 'menu' : undefined}
          onFocus={() => setCurrent(i)}
          onClick={action.run}
        >
          {action.icon}
        </button>
      ))}
      {picking && (
        <ReactionPicker
          mine={mine}
          onPick={(emoji, add) => actions.react(message.id, emoji, add)}
          onClose={closePicker}
        />
      )}
    </div>
  );
}
