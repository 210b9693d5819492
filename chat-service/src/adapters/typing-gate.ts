/**
 * Decides which typing changes are broadcast (DESIGN.md §3.4), across every node: a user's
 * `typing: true` at most once per interval in a room; a `typing: false` only to clear a
 * `true` the others may still show (so it can never flood a room either).
 */
export interface TypingGate {
  pass(roomId: string, userId: string, typing: boolean): Promise<boolean>;
}
