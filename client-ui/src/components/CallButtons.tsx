import type { PublicUser } from '@chat/contracts';
import { PhoneIcon, VideoIcon } from '../calls/call-icons.js';
import { useCallState } from '../calls/call-state.js';
import type { CallManager } from '../calls/call-manager.js';

const KINDS = [
  { media: 'audio', label: 'Audio call', Icon: PhoneIcon },
  { media: 'video', label: 'Video call', Icon: VideoIcon },
] as const;

interface CallButtonsProps {
  calls: CallManager;
  peer: PublicUser;
  /** Calls need the chat connection for their signalling. */
  connected: boolean;
}

/** Audio and video call buttons of a direct room's header. */
export function CallButtons({ calls, peer, connected }: CallButtonsProps) {
  useCallState(calls); // re-render when a call starts or ends
  const disabled = !connected || calls.busy;
  return (
    <>
      {KINDS.map(({ media, label, Icon }) => (
        <button
          key={media}
          type="button"
          className="icon-button"
          aria-label={`${label} ${peer.displayName}`}
          title={label}
          disabled={disabled}
          onClick={() => void calls.call(peer, media)}
        >
          <Icon />
        </button>
      ))}
    </>
  );
}
