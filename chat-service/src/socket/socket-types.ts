import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';
import type { Identity } from '@chat/service-kit';
import type { Server, Socket } from 'socket.io';

/** Set by the auth middleware; identity only ever comes from the verified token. */
export interface SocketData {
  user: Identity;
  /** The handshake token, forwarded to message-service for history reads on the user's behalf. */
  token: string;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
