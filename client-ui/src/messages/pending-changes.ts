import type { Message } from '@chat/contracts';
import { toggleReaction } from './reactions.js';

/** What the user asked to change on a message. */
export type ChangeRequest =
  { kind: 'edit'; text: string } | { kind: 'delete' } | { kind: 'react'; emoji: string; add: boolean };

/**
 * An own edit, delete or reaction the server has not confirmed. Shown at once (optimistic);
 * a failed one is no longer applied — the message shows its confirmed state again — and
 * waits beside it with its error until retried or dismissed.
 */
export type PendingChange = ChangeRequest & {
  /** Sent as its `clientMsgId`: a retry resends the same one, and the server applies it once. */
  id: string;
  messageId: string;
  status: 'pending' | 'failed';
  error?: string;
  /** Whether trying again can help (not after a refusal such as FORBIDDEN). */
  retryable?: boolean;
};

export type ChangesAction =
  | { type: 'start'; change: ChangeRequest & { id: string; messageId: string } }
  /** Confirmed: the acked message carries it from now on. */
  | { type: 'confirmed'; id: string }
  | { type: 'failed'; id: string; error: string; retryable: boolean }
  | { type: 'retry'; id: string }
  | { type: 'dismiss'; id: string };

export function changesReducer(changes: readonly PendingChange[], action: ChangesAction): readonly PendingChange[] {
  switch (action.type) {
    case 'start':
      return [...changes, { ...action.change, status: 'pending' }];
    case 'confirmed':
    case 'dismiss':
      return changes.filter((c) => c.id !== action.id);
    case 'failed':
      return changes.map((c) =>
        c.id === action.id ? { ...c, status: 'failed', error: action.error, retryable: action.retryable } : c,
      );
    case 'retry':
      return changes.map((c) =>
        c.id === action.id && c.status === 'failed' ? { ...c, status: 'pending', error: undefined } : c,
      );
  }
}

/** The message as the user should see it: its confirmed state with their changes in flight applied, in order. */
export function withPendingChanges(message: Message, changes: readonly PendingChange[], meId: string): Message {
  let shown = message;
  for (const change of changes) {
    if (change.status !== 'pending' || shown.deletedAt) continue;
    if (change.kind === 'edit') shown = { ...shown, text: change.text };
    if (change.kind === 'delete') shown = { ...shown, text: '', reactions: [], deletedAt: new Date().toISOString() };
    if (change.kind === 'react')
      shown = { ...shown, reactions: toggleReaction(shown.reactions ?? [], change.emoji, meId, change.add) };
  }
  return shown;
}

/** Own changes per message id, for the rows to look up. */
export function changesByMessage(changes: readonly PendingChange[]): ReadonlyMap<string, PendingChange[]> {
  const map = new Map<string, PendingChange[]>();
  for (const c of changes) map.set(c.messageId, [...(map.get(c.messageId) ?? []), c]);
  return map;
}
