import { useEffect, useRef, useState } from 'react';
import { fetchHistory } from '../api/history.js';
import type { Session } from '../session/session-store.js';
import { ChatClient, type ChatSnapshot, type ChatSocket } from './chat-client.js';

export interface ChatClientCallbacks {
  /** A server refused this token: refresh it, or sign out when the session is over. */
  onTokenRefused: (token: string) => void;
  /** The chat server says the token expires soon: refresh it. */
  onTokenExpiring: () => void;
}

/**
 * The signed-in user's ChatClient and its latest snapshot. The client lives as long as the
 * component (one per user); a refreshed token reaches its socket and its history reads.
 * `createSocket` wraps how each socket is made (calls attach their signalling to it).
 */
export function useChatClient(
  session: Session,
  callbacks: ChatClientCallbacks,
  createSocket?: (token: string) => ChatSocket,
): [ChatClient, ChatSnapshot] {
  const token = useRef(session.token);
  token.current = session.token;
  const latest = useRef(callbacks);
  latest.current = callbacks;
  const [client] = useState(
    () =>
      new ChatClient({
        token: session.token,
        me: session.user,
        history: (roomId, cursor, limit) => fetchHistory(token.current, roomId, cursor, limit),
        onUnauthorized: (refused) => latest.current.onTokenRefused(refused),
        onTokenExpiring: () => latest.current.onTokenExpiring(),
        ...(createSocket ? { createSocket } : {}),
      }),
  );
  // Plain state rather than useSyncExternalStore: its updates render synchronously one by
  // one, while these batch, so a burst of messages (a busy room, a resync) renders once.
  const [chat, setChat] = useState(client.getSnapshot);
  useEffect(() => {
    setChat(client.getSnapshot());
    return client.subscribe(() => setChat(client.getSnapshot()));
  }, [client]);

  useEffect(() => {
    client.start();
    return () => client.stop();
  }, [client]);

  useEffect(() => client.updateToken(session.token), [client, session.token]);

  return [client, chat];
}
