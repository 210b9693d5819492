import { PUBLIC_ROOM_PATTERN } from '@chat/contracts';
import type { RoomEntry } from '../rooms/room-list-store.js';
import { sidebarOrder } from './room-order.js';

/**
 * What the quick switcher (Ctrl/Cmd-K) lists for a query, as titled sections so that other
 * sources — message search — can add a section of their own beside the rooms.
 */
export type SwitcherAction =
  | { kind: 'open'; roomId: string }
  | { kind: 'join'; name: string }
  /** Open message search (its own dialog) with this query. */
  | { kind: 'search'; query: string };

export interface SwitcherItem {
  key: string;
  /** What the option says ("general", "Ada Lovelace", "Join #kitchen"). */
  label: string;
  /** A second, quieter line ("@ada · direct message"). */
  detail?: string;
  unread?: number;
  /** A person's avatar; items without one show a room's #. */
  avatar?: { name: string; seed: string };
  action: SwitcherAction;
}

export interface SwitcherSection {
  id: string;
  title: string;
  items: SwitcherItem[];
}

/** Lower is better: a word that starts with the query beats one that merely contains it. */
function rank(haystacks: string[], query: string): number | undefined {
  let best: number | undefined;
  for (const h of haystacks) {
    const at = h.toLowerCase().indexOf(query);
    if (at === -1) continue;
    const score = at === 0 ? 0 : /[\s_.\-:]/.test(h.charAt(at - 1)) ? 1 : 2;
    best = Math.min(best ?? score, score);
  }
  return best;
}

export function roomResults(
  query: string,
  rooms: readonly RoomEntry[],
  unreadOf: (roomId: string) => number,
): SwitcherSection {
  const trimmed = query.trim();
  const q = trimmed.replace(/^[#@]/, '').toLowerCase();
  const matches: { room: RoomEntry; score: number }[] = [];
  for (const room of sidebarOrder(rooms)) {
    const score = q ? rank(room.peer ? [room.peer.displayName, room.peer.username] : [room.id], q) : 0;
    if (score !== undefined) matches.push({ room, score });
  }
  // Stable: equal scores keep the sidebar's order.
  matches.sort((a, b) => a.score - b.score);
  const items: SwitcherItem[] = matches.map(({ room }) => ({
    key: `room:${room.id}`,
    // A room's # is its icon, as in the sidebar.
    label: room.peer ? room.peer.displayName : room.id,
    detail: room.peer ? `@${room.peer.username} · direct message` : undefined,
    unread: unreadOf(room.id),
    avatar: room.peer ? { name: room.peer.displayName, seed: room.peer.id } : undefined,
    action: { kind: 'open', roomId: room.id },
  }));
  // A public room not joined yet: offer to join it, as the sidebar's Join field would
  // (not for "@name": that asks for a person).
  if (q && !trimmed.startsWith('@') && PUBLIC_ROOM_PATTERN.test(q) && !rooms.some((r) => !r.peer && r.id === q)) {
    items.push({ key: `join:${q}`, label: `Join #${q}`, detail: 'Public room', action: { kind: 'join', name: q } });
  }
  return { id: 'rooms', title: 'Rooms and people', items };
}

/** Search asks the server from this many characters on (DESIGN.md §2 `q`). */
const SEARCH_MIN_CHARS = 2;

/** The way from the switcher to message search: one item carrying the query over. */
export function searchResults(query: string): SwitcherSection {
  const q = query.trim();
  const items: SwitcherItem[] =
    q.length >= SEARCH_MIN_CHARS
      ? [
          {
            key: 'search',
            label: `Search messages for “${q}”`,
            detail: 'Ctrl+Shift+F',
            action: { kind: 'search', query: q },
          },
        ]
      : [];
  return { id: 'search', title: 'Messages', items };
}
