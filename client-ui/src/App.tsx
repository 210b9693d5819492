import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { fetchMe, refreshSession } from './api/auth.js';
import { ApiError } from './api/http.js';
import { AuthScreen } from './components/AuthScreen.js';
import { ChatScreen } from './components/ChatScreen.js';
import { ReaderProvider } from './files/file-access.js';
import { SessionKeeper } from './session/session-keeper.js';

export function App() {
  const [keeper] = useState(() => new SessionKeeper({ refresh: refreshSession }));
  const session = useSyncExternalStore(keeper.subscribe, keeper.getSession);

  useEffect(() => {
    keeper.start();
    return () => keeper.stop();
  }, [keeper]);

  const signOut = useCallback(() => keeper.signOut(), [keeper]);
  const tokenRefused = useCallback((token: string) => keeper.tokenRefused(token), [keeper]);
  const renew = useCallback(() => void keeper.renew(), [keeper]);

  // A stored token may have been revoked or expired while no tab was open: check it once.
  const userId = session?.user.id;
  useEffect(() => {
    const token = keeper.getSession()?.token;
    if (!token) return;
    fetchMe(token).catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') keeper.tokenRefused(token);
    });
  }, [keeper, userId]);

  return session ? (
    <ReaderProvider key={session.user.id} user={session.user} token={session.token} onTokenRefused={tokenRefused}>
      <ChatScreen session={session} onSignOut={signOut} onTokenRefused={tokenRefused} onTokenExpiring={renew} />
    </ReaderProvider>
  ) : (
    <AuthScreen onSignedIn={(auth) => keeper.signIn(auth)} />
  );
}
