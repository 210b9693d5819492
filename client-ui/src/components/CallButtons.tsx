import type { PublicUser } from '@chat/contracts';
import { PhoneIcon, VideoIcon } from '../calls/call-icons.js';
import { useCallState } from '../calls/call-state.js';
import type { CallManager } from '../calls/call-manager.js';

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
      <button
        type="button"
        className="icon-button"
        aria-label={`Audio call ${peer.displayName}`}
        title="Audio call"
        disabled={disabled}
        onClick={() => void calls.call(peer, 'audio')}
      >
        <PhoneIcon />
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={`Video call ${peer.displayName}`}
        title="Video call"
        disabled={disabled}
        onClick={() => void calls.call(peer, 'video')}
      >
        <VideoIcon />
      </button>
    </>
  );
}
