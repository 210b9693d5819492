import type { Message } from '@chat/contracts';
import { useId, type ReactNode } from 'react';
import { COMMON_REACTIONS } from '../messages/reactions.js';
import { Dialog } from './Dialog.js';
import { CopyIcon, EditIcon, ReplyIcon, TrashIcon } from './icons.js';
import type { MessageActionHandlers } from './MessageActions.js';

interface MessageActionSheetProps {
  message: Message;
  editable: boolean;
  /** Emoji the reader already reacted with. */
  mine: ReadonlySet<string>;
  actions: MessageActionHandlers;
  onClose: () => void;
}

/** Reactions a phone's sheet offers in its one row. */
const SHEET_REACTIONS = COMMON_REACTIONS.slice(0, 6);

/**
 * The phone's long-press menu: a sheet from the bottom with the quick reactions, then Reply,
 * Copy text, Edit and Delete. Modal, so Escape, the backdrop or Cancel close it.
 */
export function MessageActionSheet({ message, editable, mine, actions, onClose }: MessageActionSheetProps) {
  const id = useId();
  const item = (label: string, icon: ReactNode, run: () => void, danger = false) => (
    <li>
      <button
        type="button"
        className={`sheet__item${danger ? ' sheet__item--danger' : ''}`}
        onClick={() => {
          onClose();
          run();
        }}
      >
        {icon}
        {label}
      </button>
    </li>
  );
  return (
    <Dialog labelledBy={`${id}-title`} className="dialog--sheet" onCancel={onClose}>
      <h2 id={`${id}-title`} className="sr-only">
        Message from {message.senderName}
      </h2>
      <div className="sheet__reactions" role="group" aria-label="React">
        {SHEET_REACTIONS.map(({ emoji, name }) => (
          <button
            key={emoji}
            type="button"
            className={`sheet__reaction${mine.has(emoji) ? ' sheet__reaction--mine' : ''}`}
            aria-label={name}
            aria-pressed={mine.has(emoji)}
            onClick={() => {
              onClose();
              actions.react(message.id, emoji, !mine.has(emoji));
            }}
          >
            {emoji}
          </button>
        ))}
      </div>
      <ul className="sheet__list">
        {item('Reply', <ReplyIcon />, () => actions.reply(message))}
        {item('Copy text', <CopyIcon />, () => void navigator.clipboard?.writeText(message.text))}
        {editable && item('Edit', <EditIcon />, () => actions.startEdit(message))}
        {editable && item('Delete', <TrashIcon />, () => actions.confirmDelete(message), true)}
        {item('Cancel', null, () => undefined)}
      </ul>
    </Dialog>
  );
}
