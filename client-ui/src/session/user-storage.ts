import type { z } from 'zod';

/**
 * JSON kept in localStorage per signed-in user (rooms, drafts, outbox). Reads fall back on
 * anything unreadable (another version's shape, hand edits); writes tolerate a full or
 * disabled storage (private mode): the app then just forgets on reload.
 */
export function readUserData<T>(key: string, schema: z.ZodType<T>, fallback: T, storage: Storage = localStorage): T {
  try {
    const parsed = schema.safeParse(JSON.parse(storage.getItem(key) ?? 'null'));
    if (parsed.success) return parsed.data;
  } catch {
    // Unreadable entry: start over rather than fail to open the app.
  }
  return fallback;
}

export function writeUserData(key: string, value: unknown, storage: Storage = localStorage): void {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled.
  }
}

export const draftsKey = (userId: string) => `chat.drafts.${userId}`;
export const outboxKey = (userId: string) => `chat.outbox.${userId}`;

/** What typing left behind: drafts and unsent messages. Forgotten when the user logs out. */
export function clearTypedData(userId: string, storage: Storage = localStorage): void {
  storage.removeItem(draftsKey(userId));
  storage.removeItem(outboxKey(userId));
}
