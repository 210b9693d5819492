import type { Message, PublicUser } from '@chat/contracts';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { RoomState } from '../chat/chat-client.js';
import { formatFullDateTime, listTime } from '../format.js';
import type { RoomEntry } from '../rooms/room-list-store.js';
import { Avatar } from './Avatar.js';
import { ChatBubbleIcon, CloseIcon, HashIcon, LogOutIcon, SearchIcon } from './icons.js';
import { identifierInputProps } from './input-props.js';
import { sidebarSections } from './room-order.js';
import { SWITCHER_KEYS } from './use-chat-shortcuts.js';

interface SidebarProps {
  me: PublicUser;
  rooms: RoomEntry[];
  roomStates: Readonly<Record<string, RoomState>>;
  activeRoomId: string | undefined;
  onSelect: (roomId: string) => void;
  /** Resolve to an error message to show under the field, or undefined on success. */
  onJoinRoom: (name: string) => Promise<string | undefined>;
  onStartDirect: (username: string) => Promise<string | undefined>;
  onSignOut: () => void;
  /** The quick switcher, also on Ctrl/Cmd-K. */
  onOpenSwitcher: () => void;
  /** Phone layout: whether the drawer is open, and how to close it (button or Escape). */
  open: boolean;
  onClose: () => void;
}

export function Sidebar(props: SidebarProps) {
  const { me, rooms, roomStates, activeRoomId, onSelect } = props;
  const { publicRooms, directRooms } = sidebarSections(rooms);
  const closeRef = useRef<HTMLButtonElement>(null);
  // Opening the drawer moves focus into it, so keyboard and screen-reader users land there.
  useEffect(() => {
    if (props.open) closeRef.current?.focus();
  }, [props.open]);
  return (
    <aside
      className="sidebar"
      aria-label="Conversations"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && props.open) props.onClose();
      }}
    >
      <header className="sidebar__header">
        <span className="brand">
          <span className="brand__mark" aria-hidden="true">
            <ChatBubbleIcon />
          </span>
          Chat
        </span>
        <button
          type="button"
          ref={closeRef}
          className="icon-button sidebar__close"
          aria-label="Close conversations"
          onClick={props.onClose}
        >
          <CloseIcon />
        </button>
      </header>

      <button
        type="button"
        className="sidebar__jump"
        aria-keyshortcuts={SWITCHER_KEYS}
        aria-haspopup="dialog"
        onClick={props.onOpenSwitcher}
      >
        <SearchIcon />
        <span className="sidebar__jump-label">Jump to…</span>
        <kbd aria-hidden="true">{isMac() ? '⌘' : 'Ctrl'} K</kbd>
      </button>

      <div className="sidebar__forms">
        <QuickForm label="Join a room" placeholder="room-name" prefix="#" button="Join" onSubmit={props.onJoinRoom} />
        <QuickForm
          label="Direct message"
          placeholder="username"
          prefix="@"
          button="Start"
          onSubmit={props.onStartDirect}
        />
      </div>

      <nav className="sidebar__rooms" aria-label="Your conversations">
        <RoomSection title="Rooms" rooms={publicRooms} {...{ roomStates, activeRoomId, onSelect, meId: me.id }} />
        <RoomSection
          title="Direct messages"
          rooms={directRooms}
          {...{ roomStates, activeRoomId, onSelect, meId: me.id }}
        />
        {rooms.length === 0 && (
          <p className="sidebar__empty">
            Join a room like <strong>#general</strong> or message someone by username.
          </p>
        )}
      </nav>

      <footer className="sidebar__me">
        <Avatar name={me.displayName} seed={me.id} />
        <span className="sidebar__me-names">
          <span className="sidebar__me-name">{me.displayName}</span>
          <span className="sidebar__me-username">@{me.username}</span>
        </span>
        <button type="button" className="outline-button" onClick={props.onSignOut}>
          <LogOutIcon />
          Log out
        </button>
      </footer>
    </aside>
  );
}

interface RoomSectionProps {
  title: string;
  rooms: RoomEntry[];
  roomStates: Readonly<Record<string, RoomState>>;
  activeRoomId: string | undefined;
  meId: string;
  onSelect: (roomId: string) => void;
}

function RoomSection({ title, rooms, roomStates, activeRoomId, meId, onSelect }: RoomSectionProps) {
  if (rooms.length === 0) return null;
  return (
    <section className="room-section">
      <h2 className="room-section__title">{title}</h2>
      <ul className="room-section__list">
        {rooms.map((room) => {
          const state = roomStates[room.id];
          const last = state?.timeline.messages.at(-1);
          const unread = state?.unread ?? 0;
          const active = room.id === activeRoomId;
          return (
            <li key={room.id}>
              <button
                type="button"
                className={`room-item${active ? ' room-item--active' : ''}${unread > 0 ? ' room-item--unread' : ''}`}
                aria-current={active ? 'page' : undefined}
                onClick={() => onSelect(room.id)}
                data-testid="room-item"
                data-room-id={room.id}
              >
                {room.peer ? (
                  <Avatar name={room.peer.displayName} seed={room.peer.id} size="sm" />
                ) : (
                  <span className="room-item__hash" aria-hidden="true">
                    <HashIcon />
                  </span>
                )}
                <span className="room-item__text">
                  <span className="room-item__title">{room.peer ? room.peer.displayName : room.id}</span>
                  <span className="room-item__preview">
                    {last ? preview(last, meId, room.peer !== undefined) : 'No messages yet'}
                  </span>
                </span>
                <span className="room-item__side">
                  {last && (
                    <time
                      className="room-item__time"
                      dateTime={last.createdAt}
                      title={formatFullDateTime(last.createdAt)}
                    >
                      {listTime(last.createdAt)}
                    </time>
                  )}
                  {unread > 0 && (
                    <span className="badge" aria-label={`${unread} unread`}>
                      {unread > 99 ? '99+' : unread}
                    </span>
                  )}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** "You: …" for own messages; the sender's name in rooms (in a direct chat it is obvious). */
function preview(last: Message, meId: string, direct: boolean): string {
  const text = last.deletedAt ? 'Message deleted' : last.text;
  if (last.senderId === meId) return `You: ${text}`;
  return direct ? text : `${last.senderName}: ${text}`;
}

interface QuickFormProps {
  label: string;
  placeholder: string;
  prefix: string;
  button: string;
  onSubmit: (value: string) => Promise<string | undefined>;
}

/** A one-field form with its label, a busy state and an inline error. */
function QuickForm({ label, placeholder, prefix, button, onSubmit }: QuickFormProps) {
  const id = useId();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!value.trim() || busy) return;
    setBusy(true);
    const problem = await onSubmit(value.trim());
    setBusy(false);
    setError(problem);
    if (!problem) setValue('');
  };

  return (
    <form className="quick-form" onSubmit={submit} noValidate>
      <label htmlFor={id} className="quick-form__label">
        {label}
      </label>
      <div className={`quick-form__row${error ? ' quick-form__row--invalid' : ''}`}>
        <span className="quick-form__prefix" aria-hidden="true">
          {prefix}
        </span>
        <input
          id={id}
          className="quick-form__input"
          value={value}
          placeholder={placeholder}
          {...identifierInputProps}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => {
            setValue(e.target.value);
            setError(undefined);
          }}
        />
        <button type="submit" className="quick-form__button" disabled={busy || !value.trim()}>
          {button}
        </button>
      </div>
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** Apple keyboards say ⌘ where others say Ctrl. */
function isMac(): boolean {
  return /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}
