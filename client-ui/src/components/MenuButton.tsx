import { badgeCount } from '../rooms/room-list.js';
import { MenuIcon } from './icons.js';

/**
 * The phone's button to the conversation drawer. A dot with a count says other rooms have
 * unread messages, which is otherwise invisible from inside a room.
 */
export function MenuButton({ unread, onClick }: { unread: number; onClick: () => void }) {
  return (
    <button
      type="button"
      className="icon-button room__menu"
      aria-label={unread > 0 ? `Open conversations, ${badgeCount(unread)} unread` : 'Open conversations'}
      onClick={onClick}
    >
      <MenuIcon />
      {unread > 0 && (
        <span className="room__menu-badge" aria-hidden="true" data-testid="menu-unread">
          {badgeCount(unread)}
        </span>
      )}
    </button>
  );
}
