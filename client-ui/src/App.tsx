import type { AuthResponse } from '@chat/contracts';
import { useCallback, useEffect, useState } from 'react';
import { fetchMe } from './api/auth.js';
import { ApiError } from './api/http.js';
import { AuthScreen } from './components/AuthScreen.js';
import { ChatScreen } from './components/ChatScreen.js';
import { clearSession, loadSession, saveSession, type Session } from './session/session-store.js';

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());

  const signIn = useCallback((auth: AuthResponse) => {
    saveSession(auth);
    setSession(auth);
  }, []);

  const signOut = useCallback(() => {
    clearSession();
    setSession(null);
  }, []);

  // A stored token may have expired or been revoked while the tab slept: check it once.
  const token = session?.token;
  useEffect(() => {
    if (!token) return;
    let current = true;
    fetchMe(token).catch((err: unknown) => {
      if (current && err instanceof ApiError && err.code === 'UNAUTHORIZED') signOut();
    });
    return () => {
      current = false;
    };
  }, [token, signOut]);

  return session ? (
    <ChatScreen key={session.user.id} session={session} onSignOut={signOut} />
  ) : (
    <AuthScreen onSignedIn={signIn} />
  );
}
