import type { Message, SearchResponse } from '@chat/contracts';
import type { MemberRoom } from './member-rooms.js';
import { isTimeLimitError, type SearchRepository } from './search-repository.js';

export interface SearchRequest {
  /** Most recent activity first (as `MemberRooms.roomsOf` gives them). */
  rooms: MemberRoom[];
  q: string;
  limit: number;
  /** Epoch ms by which the answer is given, complete or not. */
  deadline: number;
  /** Room queries at once (SEARCH_ROOMS_IN_FLIGHT). */
  inFlight: number;
}

/**
 * Searches `rooms`, `inFlight` at a time, and answers the `limit` newest matches (createdAt
 * descending, then roomId, then seq descending) by `deadline`. Each room query carries the time left as its maxTimeMS, so
 * the server stops it too; at the deadline the answer is what the finished rooms gave, with
 * `partial: true`, and queries still running are abandoned (their maxTimeMS ends them). A
 * room is the unit: one cut short contributes nothing. Other failures (MongoDB down) throw.
 *
 * Once `limit` matches are held, a room whose newest message (`lastAt`) is older than the
 * oldest of them cannot change the answer and is passed over as searched: rooms in order of
 * activity, a common word stops after the first few rooms, complete.
 */
export async function searchRooms(repo: SearchRepository, req: SearchRequest): Promise<SearchResponse> {
  const queue = [...req.rooms];
  let found: Message[] = [];
  let searched = 0;
  let answered = false;
  const cannotChange = (room: MemberRoom) =>
    found.length === req.limit && room.lastAt !== undefined && room.lastAt < Date.parse(found.at(-1)!.createdAt);
  const worker = async () => {
    for (let room = queue.shift(); room !== undefined && !answered; room = queue.shift()) {
      if (cannotChange(room)) {
        searched += 1;
        continue;
      }
      const left = req.deadline - Date.now();
      if (left <= 0) return;
      let matches: Message[];
      try {
        matches = await repo.findInRoom(room.roomId, req.q, req.limit, left);
      } catch (err) {
        if (isTimeLimitError(err)) return;
        throw err;
      }
      if (answered) return;
      found = newestFirst([...found, ...matches]).slice(0, req.limit);
      searched += 1;
    }
  };
  const workers = Promise.all(Array.from({ length: Math.min(req.inFlight, queue.length) }, worker));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, req.deadline - Date.now()));
  });
  try {
    await Promise.race([workers, deadline]);
  } finally {
    clearTimeout(timer);
    answered = true;
    // A query abandoned at the deadline may still fail; nobody is waiting for it any more.
    workers.catch(() => undefined);
  }
  return { messages: found, partial: searched < req.rooms.length };
}

/** createdAt is an ISO-8601 UTC string of fixed width (toISOString), so it orders as text. */
function newestFirst(messages: Message[]): Message[] {
  return messages.sort(
    (a, b) =>
      (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0) ||
      (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0) ||
      b.seq - a.seq,
  );
}
