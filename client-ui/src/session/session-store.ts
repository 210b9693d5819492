import { publicUserSchema } from '@chat/contracts';
import { z } from 'zod';

/**
 * The signed-in session lives in localStorage, shared by every tab of the origin: a new tab
 * is signed in, a refresh in one tab serves all, and logging out in one signs out all (the
 * `storage` event). See README "Where the token lives".
 */
export const SESSION_KEY = 'chat.session';

const sessionSchema = z.object({ token: z.string().min(1), user: publicUserSchema });
export type Session = z.infer<typeof sessionSchema>;

export function parseSession(raw: string | null): Session | null {
  try {
    const parsed = sessionSchema.safeParse(JSON.parse(raw ?? 'null'));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function loadSession(storage: Storage = localStorage): Session | null {
  return parseSession(storage.getItem(SESSION_KEY));
}

export function saveSession(session: Session, storage: Storage = localStorage): void {
  try {
    storage.setItem(SESSION_KEY, JSON.stringify(session));
  } catch {
    // Storage full or disabled: the session lasts as long as this tab.
  }
}

export function clearSession(storage: Storage = localStorage): void {
  storage.removeItem(SESSION_KEY);
}
