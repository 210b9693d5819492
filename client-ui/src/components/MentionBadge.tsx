import './mentions.css';

/**
 * Unread mentions of the reader in a room, from the server's `mentions` count of
 * `GET /messages/rooms` (DESIGN.md §2): "@3". Nothing when there are none. For the room list.
 */
export function MentionBadge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <span
      className="mention-badge"
      aria-label={count === 1 ? '1 mention' : `${count} mentions`}
      data-testid="mention-badge"
    >
      @{count > 99 ? '99+' : count}
    </span>
  );
}
