import type { ConnectionStatus } from '../chat/chat-client.js';

const TONES: Partial<Record<ConnectionStatus, string>> = { reconnecting: 'tone--warn', offline: 'tone--danger' };

const LABELS: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

export function ConnectionBadge({ status }: { status: ConnectionStatus }) {
  return (
    <span
      className={`conn conn--${status} ${TONES[status] ?? ''}`}
      role="status"
      data-testid="connection-status"
      data-status={status}
      title={LABELS[status]}
    >
      <span className="conn__dot" aria-hidden="true" />
      <span className="conn__label">{LABELS[status]}</span>
    </span>
  );
}
