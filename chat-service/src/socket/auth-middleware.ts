import { UNAUTHORIZED_CONNECT_ERROR } from '@chat/contracts';
import type { VerifyToken } from '@chat/service-kit';
import type { ChatSocket } from './socket-types.js';

/** Refuses the handshake with `connect_error` 'unauthorized' unless `auth.token` verifies. */
export function authMiddleware(verifyToken: VerifyToken) {
  return (socket: ChatSocket, next: (err?: Error) => void): void => {
    const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    try {
      socket.data.user = verifyToken(token);
      socket.data.token = token as string;
      next();
    } catch {
      next(new Error(UNAUTHORIZED_CONNECT_ERROR));
    }
  };
}
