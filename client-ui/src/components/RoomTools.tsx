import { useId, useRef, useState } from 'react';
import { BellIcon, BellOffIcon } from './feature-icons.js';
import { Dialog } from './Dialog.js';
import { SearchIcon } from './icons.js';
import { SEARCH_KEYS } from './use-chat-shortcuts.js';
import './notifications.css';

interface RoomToolsProps {
  roomTitle: string;
  muted: boolean;
  permission: NotificationPermission | 'unsupported';
  onOpenSearch: () => void;
  onMutedChange: (muted: boolean) => void;
  /** Asks the browser; only ever from this button's click (a user gesture). */
  onEnableNotifications: () => Promise<void>;
}

/** The room header's search and notification buttons. */
export function RoomTools(props: RoomToolsProps) {
  const [settingsOpen, setSettingsOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className="icon-button"
        aria-label="Search messages"
        aria-keyshortcuts={SEARCH_KEYS}
        title="Search messages (Ctrl+Shift+F)"
        onClick={props.onOpenSearch}
      >
        <SearchIcon />
      </button>
      <button
        type="button"
        className={`icon-button${props.muted ? ' room-tools__muted' : ''}`}
        aria-label={
          props.muted ? `Notifications for ${props.roomTitle}: muted` : `Notifications for ${props.roomTitle}`
        }
        aria-haspopup="dialog"
        title="Notifications"
        data-testid="notification-settings"
        onClick={() => setSettingsOpen(true)}
      >
        {props.muted ? <BellOffIcon /> : <BellIcon />}
      </button>
      {settingsOpen && <NotificationSettings {...props} onClose={() => setSettingsOpen(false)} />}
    </>
  );
}

function NotificationSettings(props: RoomToolsProps & { onClose: () => void }) {
  const id = useId();
  const doneRef = useRef<HTMLButtonElement>(null);
  const { permission } = props;
  return (
    <Dialog labelledBy={`${id}-title`} onCancel={props.onClose} initialFocus={doneRef}>
      <div className="dialog__form notify-settings">
        <h2 id={`${id}-title`} className="dialog__title">
          Notifications
        </h2>
        <p className="dialog__body">
          While this tab is in the background, you get a notification when someone mentions you or writes to you
          directly.
        </p>
        <div className="notify-settings__row" role="status">
          {permission === 'granted' ? (
            <span className="notify-settings__state notify-settings__state--on">
              Notifications are on for this browser.
            </span>
          ) : permission === 'denied' ? (
            <span className="notify-settings__state">
              Notifications are blocked for this site. Allow them in the browser’s site settings.
            </span>
          ) : permission === 'unsupported' ? (
            <span className="notify-settings__state">This browser cannot show notifications.</span>
          ) : (
            <button type="button" className="button button--primary" onClick={() => void props.onEnableNotifications()}>
              Enable notifications
            </button>
          )}
        </div>
        <label className="notify-settings__mute">
          <input
            type="checkbox"
            checked={props.muted}
            onChange={(e) => props.onMutedChange(e.target.checked)}
            data-testid="mute-room"
          />
          <span>
            Mute {props.roomTitle}
            <span className="notify-settings__hint">No notifications from this room (saved in this browser).</span>
          </span>
        </label>
        <div className="dialog__actions">
          <button type="button" ref={doneRef} className="button button--secondary" onClick={props.onClose}>
            Done
          </button>
        </div>
      </div>
    </Dialog>
  );
}
