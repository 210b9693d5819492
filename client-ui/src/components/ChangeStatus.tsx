import type { PendingChange } from '../messages/pending-changes.js';

const WHAT: Record<PendingChange['kind'], (c: PendingChange) => string> = {
  edit: () => 'Edit',
  delete: () => 'Delete',
  react: (c) => (c.kind === 'react' ? `Reaction ${c.emoji}` : 'Reaction'),
};

interface ChangeStatusProps {
  changes: readonly PendingChange[];
  onRetry: (id: string) => void;
  onDismiss: (id: string) => void;
}

/**
 * Under a message: "Saving…" while an own edit or delete is in flight (reactions show on their
 * chip), and each failed change with its reason, Retry (when it can help) and Dismiss.
 */
export function ChangeStatus({ changes, onRetry, onDismiss }: ChangeStatusProps) {
  const saving = changes.some((c) => c.status === 'pending' && c.kind !== 'react');
  const failed = changes.filter((c) => c.status === 'failed');
  return (
    <>
      {saving && (
        <span className="msg__state" role="status">
          <span className="spinner spinner--sm" aria-hidden="true" /> Saving…
        </span>
      )}
      {failed.map((c) => (
        <span key={c.id} className="msg__state msg__state--failed" role="alert">
          {WHAT[c.kind](c)} not saved: {c.error}{' '}
          {c.retryable && (
            <button type="button" className="link-button" onClick={() => onRetry(c.id)}>
              Retry
            </button>
          )}{' '}
          <button type="button" className="link-button" onClick={() => onDismiss(c.id)}>
            Dismiss
          </button>
        </span>
      ))}
    </>
  );
}
