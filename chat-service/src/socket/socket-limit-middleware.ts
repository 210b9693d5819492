import { RATE_LIMITED_CONNECT_ERROR } from '@chat/contracts';
import type { ChatMetrics } from '../metrics.js';
import type { RefusalLog } from './refusal-log.js';
import type { ChatSocket } from './socket-types.js';
import type { UserSockets } from '../adapters/user-sockets.js';

/**
 * After authentication: refuses a user's socket beyond SOCKETS_PER_USER_MAX across nodes with
 * `connect_error` 'rate_limited', `data: {retryAfterSec}`. With Redis unreachable the socket is
 * let in (it is renewed into the count once Redis is back): the limit guards against abuse,
 * not worth an outage of its own. The socket leaves the count on disconnect (see connections.ts);
 * one admitted that never gets to connect (its client left meanwhile) lapses with its lease.
 */
export function socketLimitMiddleware(userSockets: UserSockets, refusals: RefusalLog, metrics: ChatMetrics) {
  return (socket: ChatSocket, next: (err?: Error) => void): void => {
    const userId = socket.data.user.userId;
    userSockets.claim(userId, socket.id).then(
      (retryAfterSec) => {
        refusals.served('socket limit');
        if (retryAfterSec === 0) return next();
        metrics.limited.inc({ limit: 'sockets_per_user' });
        next(Object.assign(new Error(RATE_LIMITED_CONNECT_ERROR), { data: { retryAfterSec } }));
      },
      (err: Error) => {
        refusals.refused('socket limit', `not counted, Redis unavailable: ${err.message}`);
        next();
      },
    );
  };
}
