import type { Member, PublicUser } from '@chat/contracts';
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { MembersState, Presence } from '../rooms/room-activity.js';
import { Avatar } from './Avatar.js';
import { CloseIcon, Icon } from './icons.js';
import './membership.css';

export const MembersIcon = () => (
  <Icon>
    <circle cx="9" cy="8" r="3.5" />
    <path d="M2.5 20c.8-3.6 3.4-5.5 6.5-5.5s5.7 1.9 6.5 5.5" />
    <path d="M16 4.8a3.5 3.5 0 0 1 0 6.4" />
    <path d="M18.5 14.8c1.6.8 2.6 2.5 3 5.2" />
  </Icon>
);

/** The small dot next to a name; the words beside it (or the label) say the same for screen readers. */
export function PresenceDot({ online }: { online: boolean }) {
  return (
    <span
      className={`presence-dot${online ? ' presence-dot--online' : ''}`}
      aria-hidden="true"
      data-testid="presence-dot"
      data-online={online}
    />
  );
}

interface MembersPanelProps {
  id: string;
  /** The room's title ("#general"). */
  title: string;
  state: MembersState | undefined;
  /** Live presence in the room, by user id (newer than the list's `online`). */
  presence: Readonly<Record<string, Presence>> | undefined;
  me: PublicUser;
  onClose: () => void;
  onRetry: () => void;
}

/**
 * Who is in the room and who is online, kept live from presence events. Beside the timeline
 * on a desktop, a sheet from the bottom on a phone. Focus moves in on open; Escape closes.
 */
export function MembersPanel({ id, title, state, presence, me, onClose, onRetry }: MembersPanelProps) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), []);
  const members = state?.members && withPresence(state.members, presence, me);
  const online = members?.filter((m) => m.online).length ?? 0;
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
    }
  };
  return (
    <>
      <div className="members-scrim" aria-hidden="true" onClick={onClose} />
      <section id={id} className="members" aria-labelledby={`${id}-title`} onKeyDown={onKeyDown}>
        <header className="members__header">
          <h2 id={`${id}-title`} className="members__title">
            Members
          </h2>
          {members && (
            <span className="members__count">
              {members.length} · {online} online
            </span>
          )}
          <button
            type="button"
            ref={closeRef}
            className="icon-button"
            aria-label={`Close members of ${title}`}
            onClick={onClose}
          >
            <CloseIcon />
          </button>
        </header>
        {members ? (
          <ul className="members__list" aria-label={`Members of ${title}`}>
            {members.map((m) => (
              <li key={m.userId} className="member" data-testid="member" data-online={m.online}>
                <span className="member__avatar">
                  <Avatar name={m.displayName} seed={m.userId} size="sm" />
                  <PresenceDot online={m.online} />
                </span>
                <span className="member__name">
                  {m.displayName}
                  {m.userId === me.id && <span className="member__you"> (you)</span>}
                </span>
                <span className={`member__state${m.online ? ' member__state--online' : ''}`}>
                  {m.online ? 'Online' : 'Offline'}
                </span>
              </li>
            ))}
          </ul>
        ) : state?.failed ? (
          <p className="members__note" role="alert">
            The members could not be loaded.{' '}
            <button type="button" className="link-button" onClick={onRetry}>
              Retry
            </button>
          </p>
        ) : (
          <p className="members__note" role="status">
            <span className="spinner" aria-hidden="true" /> Loading members…
          </p>
        )}
      </section>
    </>
  );
}

/**
 * Members with their live online state (and the names their sockets announced, or the
 * user's own, over the list's): online first, then by name.
 */
export function withPresence(
  members: readonly Member[],
  presence: Readonly<Record<string, Presence>> | undefined,
  me: PublicUser,
): Member[] {
  return members
    .map((m) => ({
      ...m,
      online: presence?.[m.userId]?.online ?? m.online,
      displayName: m.userId === me.id ? me.displayName : (presence?.[m.userId]?.displayName ?? m.displayName),
    }))
    .sort((a, b) => Number(b.online) - Number(a.online) || a.displayName.localeCompare(b.displayName));
}
