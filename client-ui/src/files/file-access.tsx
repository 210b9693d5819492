import type { PublicUser } from '@chat/contracts';
import { createContext, useContext, useMemo, useRef, type ReactNode } from 'react';

/**
 * What components need to reach files and to know the reader: the current token (read at
 * call time: it is refreshed while the app runs), what to do when the server refuses it, and
 * the reader's username (for their own mentions). Provided once by the chat screen, so the
 * message rows need no extra props.
 */
export interface Reader {
  username: string;
  token: () => string;
  onUnauthorized: () => void;
}

export const ReaderContext = createContext<Reader | undefined>(undefined);

export function useReader(): Reader | undefined {
  return useContext(ReaderContext);
}

/** Provides the signed-in reader; the value stays the same object while the user does (the token is read at call time). */
export function ReaderProvider(props: {
  user: PublicUser;
  token: string;
  onTokenRefused: (token: string) => void;
  children: ReactNode;
}) {
  const latest = useRef(props);
  latest.current = props;
  const { username } = props.user;
  const reader = useMemo<Reader>(
    () => ({
      username,
      token: () => latest.current.token,
      onUnauthorized: () => latest.current.onTokenRefused(latest.current.token),
    }),
    [username],
  );
  return <ReaderContext value={reader}>{props.children}</ReaderContext>;
}
