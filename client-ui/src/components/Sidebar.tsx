import type { Message, PublicUser } from '@chat/contracts';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { RoomState } from '../chat/chat-client.js';
import { formatFullDateTime, listTime } from '../format.js';
import type { Presence } from '../rooms/room-activity.js';
import { badgeCount, type RoomListEntry } from '../rooms/room-list.js';
import type { RoomEntry } from '../rooms/room-list-store.js';
import { Avatar } from './Avatar.js';
import { ChatBubbleIcon, CloseIcon, HashIcon, LogOutIcon, SearchIcon } from './icons.js';
import { identifierInputProps } from './input-props.js';
import { PresenceDot } from './MembersPanel.js';
import { sidebarSections } from './room-order.js';
import { SWITCHER_KEYS } from './use-chat-shortcuts.js';

interface SidebarProps {
  me: PublicUser;
  rooms: RoomEntry[];
  roomStates: Readonly<Record<string, RoomState>>;
  /** Each room's unread and mention counts and last message (the server's room list, kept live). */
  summaries: ReadonlyMap<string, RoomListEntry>;
  /** Who is online in each room (a direct room's peer gets a dot). */
  presence: Readonly<Record<string, Readonly<Record<string, Presence>>>>;
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
  const { me, rooms, roomStates, summaries, presence, activeRoomId, onSelect } = props;
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
        <RoomSection
          title="Rooms"
          rooms={publicRooms}
          {...{ roomStates, summaries, presence, activeRoomId, onSelect, meId: me.id }}
        />
        <RoomSection
          title="Direct messages"
          rooms={directRooms}
          {...{ roomStates, summaries, presence, activeRoomId, onSelect, meId: me.id }}
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
  summaries: ReadonlyMap<string, RoomListEntry>;
  presence: Readonly<Record<string, Readonly<Record<string, Presence>>>>;
  activeRoomId: string | undefined;
  meId: string;
  onSelect: (roomId: string) => void;
}

function RoomSection({
  title,
  rooms,
  roomStates,
  summaries,
  presence,
  activeRoomId,
  meId,
  onSelect,
}: RoomSectionProps) {
  if (rooms.length === 0) return null;
  return (
    <section className="room-section">
      <h2 className="room-section__title">{title}</h2>
      <ul className="room-section__list">
        {rooms.map((room) => {
          const summary = summaries.get(room.id);
          const last = newer(summary?.lastMessage, roomStates[room.id]?.timeline.messages.at(-1));
          const unread = summary?.unread ?? 0;
          const mentions = summary?.mentions ?? 0;
          const online = room.peer ? presence[room.id]?.[room.peer.id]?.online : undefined;
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
                  <span className="avatar-with-dot">
                    <Avatar name={room.peer.displayName} seed={room.peer.id} size="sm" />
                    {online !== undefined && <PresenceDot online={online} />}
                  </span>
                ) : (
                  <span className="room-item__hash" aria-hidden="true">
                    <HashIcon />
                  </span>
                )}
                <span className="room-item__text">
                  <span className="room-item__title">
                    {room.peer ? room.peer.displayName : room.id}
                    {online && <span className="sr-only">, online</span>}
                  </span>
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
                  <span className="room-item__badges">
                    {mentions > 0 && (
                      <span
                        className="badge badge--mention"
                        aria-label={`${mentions} mentioning you`}
                        data-testid="mention-badge"
                      >
                        @{mentions > 1 ? badgeCount(mentions) : ''}
                      </span>
                    )}
                    {unread > 0 && (
                      <span className="badge" aria-label={`${unread} unread`} data-testid="unread-badge">
                        {badgeCount(unread)}
                      </span>
                    )}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** The later of two copies of a room's last message (the list's, the open timeline's). */
function newer(a: Message | undefined, b: Message | undefined): Message | undefined {
  if (!a || !b) return a ?? b;
  return b.seq > a.seq || (b.seq === a.seq && b.version > a.version) ? b : a;
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
