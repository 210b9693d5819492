import type { Memberships } from '../rooms/memberships.js';
import type { RefusalLog } from './refusal-log.js';
import type { ChatSocket } from './socket-types.js';

/**
 * Last handshake step: the socket joins every room its user is a member of (up to
 * MEMBER_ROOMS_MAX), so a second device receives all of them live from its `connect` on,
 * without a joinRoom; `joinRoom {sinceSeq}` stays the way to fetch what it missed. Without
 * Redis, or when repairing a lost set fails, the socket still connects with what is known
 * (the client's joins subscribe it); a repair is tried again on the user's next connect.
 * A membership added between the Redis read and the connect (a dm's first message) misses this
 * socket, as the adapter's joins reach connected sockets only; the client's room list or
 * joinRoom covers that moment.
 */
export function memberRoomsMiddleware(memberships: Pick<Memberships, 'roomsOnConnect'>, refusals: RefusalLog) {
  return (socket: ChatSocket, next: (err?: Error) => void): void => {
    const { user, token } = socket.data;
    memberships.roomsOnConnect(user, token).then(
      ({ rooms, repairError }) => {
        if (repairError === undefined) refusals.served('member rooms');
        else refusals.refused('member rooms', `rooms lost in Redis not repaired: ${(repairError as Error).message}`);
        if (rooms.length > 0) void socket.join(rooms);
        next();
      },
      (err: Error) => {
        refusals.refused('member rooms', `not subscribed, Redis unavailable: ${err.message}`);
        next();
      },
    );
  };
}
