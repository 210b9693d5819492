import { useState } from 'react';
import type { RoomListEntry } from '../rooms/room-list.js';

/**
 * The room's read marker and last seq as they were when it was opened (the first time the
 * server's are known): the "New messages" divider stays there until the room is reopened,
 * however the marker moves meanwhile.
 */
export function useOpenedMarker(
  summary: RoomListEntry | undefined,
): { lastReadSeq: number; lastSeq: number } | undefined {
  const [opened, setOpened] = useState<{ lastReadSeq: number; lastSeq: number }>();
  if (!opened && summary?.readKnown) {
    // Set during render (React's pattern for state derived once from props): no flash without the divider.
    setOpened({ lastReadSeq: summary.lastReadSeq, lastSeq: summary.lastSeq });
  }
  return opened;
}
