import { publicUserSchema } from '@chat/contracts';
import { z } from 'zod';

/**
 * The signed-in session lives in sessionStorage: it survives a reload of the tab but not
 * closing it, and is not shared with other tabs. See README "Where the token lives".
 */
const SESSION_KEY = 'chat.session';

const sessionSchema = z.object({ token: z.string().min(1), user: publicUserSchema });
export type Session = z.infer<typeof sessionSchema>;

export function loadSession(storage: Storage = sessionStorage): Session | null {
  try {
    const parsed = sessionSchema.safeParse(JSON.parse(storage.getItem(SESSION_KEY) ?? 'null'));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session, storage: Storage = sessionStorage): void {
  storage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(SESSION_KEY);
}
