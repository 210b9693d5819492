import { useEffect, useRef, useState, type ReactNode } from 'react';
import { HangUpIcon, MicIcon, MicOffIcon, PhoneIcon, VideoIcon, VideoOffIcon } from '../calls/call-icons.js';
import { useCallState } from '../calls/call-state.js';
import type { CallManager, CallState } from '../calls/call-manager.js';
import { Avatar } from './Avatar.js';
import './CallView.css';

/** The current call, over whatever screen is open: an incoming ring, the call, or how it ended. */
export function CallView({ calls }: { calls: CallManager }) {
  const call = useCallState(calls);
  if (!call) return null;
  return call.phase === 'ringing' ? (
    <IncomingCall call={call} calls={calls} />
  ) : (
    <ActiveCall call={call} calls={calls} />
  );
}

interface CallProps {
  call: CallState;
  calls: CallManager;
}

/** A visual ring, no sound: the avatar pulses until the user answers or it stops. */
function IncomingCall({ call, calls }: CallProps) {
  const kind = call.media === 'video' ? 'video' : 'audio';
  return (
    <div className="call-incoming" role="alertdialog" aria-labelledby="call-incoming-title" data-testid="call-incoming">
      <div className="call-incoming__ring">
        <Avatar name={call.peer.name} seed={call.peer.id} size="lg" />
      </div>
      <div className="call-incoming__text">
        <h2 id="call-incoming-title">{call.peer.name}</h2>
        <p>Incoming {kind} call…</p>
      </div>
      <div className="call-incoming__actions">
        <button type="button" className="call-button call-button--decline" onClick={() => calls.decline()}>
          <HangUpIcon />
          <span>Decline</span>
        </button>
        <button type="button" className="call-button call-button--accept" onClick={() => void calls.accept()}>
          {call.media === 'video' ? <VideoIcon /> : <PhoneIcon />}
          <span>Accept</span>
        </button>
      </div>
    </div>
  );
}

const STATUS: Record<CallState['phase'], string> = {
  calling: 'Calling…',
  ringing: 'Ringing…',
  connecting: 'Connecting…',
  connected: '',
  ended: 'Call ended',
  missed: 'Missed call',
  failed: 'Call failed',
};

function ActiveCall({ call, calls }: CallProps) {
  const final = call.phase === 'ended' || call.phase === 'missed' || call.phase === 'failed';
  const showRemoteVideo = call.media === 'video' && call.remoteStream !== undefined && !final;
  return (
    <section
      className={`call call--${call.phase}`}
      aria-label={`Call with ${call.peer.name}`}
      data-testid="call-view"
      data-phase={call.phase}
    >
      {/* Audio of an audio call plays through this element too; hidden when there is no picture. */}
      <Media
        stream={call.remoteStream}
        className={showRemoteVideo ? 'call__remote' : 'call__remote call__remote--hidden'}
        testId="remote-video"
      />
      {!showRemoteVideo && (
        <div className="call__peer">
          <div className={final ? '' : 'call__pulse'}>
            <Avatar name={call.peer.name} seed={call.peer.id} size="lg" />
          </div>
        </div>
      )}
      <header className="call__header">
        <h2 className="call__name">{call.peer.name}</h2>
        {call.phase === 'connected' && call.connectedAt !== undefined ? (
          <Duration since={call.connectedAt} />
        ) : (
          <p className="call__status" role={call.phase === 'failed' ? 'alert' : 'status'} data-testid="call-status">
            {final ? (call.detail ?? STATUS[call.phase]) : STATUS[call.phase]}
          </p>
        )}
      </header>
      {call.media === 'video' && call.localStream && !final && (
        <Media
          stream={call.localStream}
          className={`call__local${call.cameraOff ? ' call__local--off' : ''}`}
          muted
          testId="local-video"
        />
      )}
      <div className="call__controls">
        {final ? (
          <button type="button" className="call-button call-button--neutral" onClick={() => calls.dismiss()}>
            <span>Close</span>
          </button>
        ) : (
          <>
            <Toggle
              on={call.micMuted}
              label={call.micMuted ? 'Unmute microphone' : 'Mute microphone'}
              onToggle={() => calls.toggleMute()}
              disabled={!call.localStream}
            >
              {call.micMuted ? <MicOffIcon /> : <MicIcon />}
            </Toggle>
            {call.media === 'video' && (
              <Toggle
                on={call.cameraOff}
                label={call.cameraOff ? 'Turn camera on' : 'Turn camera off'}
                onToggle={() => calls.toggleCamera()}
                disabled={!call.localStream}
              >
                {call.cameraOff ? <VideoOffIcon /> : <VideoIcon />}
              </Toggle>
            )}
            <button
              type="button"
              className="call-button call-button--decline"
              aria-label="Hang up"
              onClick={() => calls.hangUp()}
            >
              <HangUpIcon />
            </button>
          </>
        )}
      </div>
    </section>
  );
}

interface ToggleProps {
  on: boolean;
  label: string;
  onToggle: () => void;
  disabled: boolean;
  children: ReactNode;
}

/** A pressed/unpressed call control (mute, camera off). */
function Toggle({ on, label, onToggle, disabled, children }: ToggleProps) {
  return (
    <button
      type="button"
      className="call-button call-button--toggle"
      aria-pressed={on}
      aria-label={label}
      onClick={onToggle}
      disabled={disabled}
    >
      {children}
    </button>
  );
}

function Media({
  stream,
  className,
  muted = false,
  testId,
}: {
  stream: MediaStream | undefined;
  className: string;
  muted?: boolean;
  testId: string;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (ref.current && ref.current.srcObject !== (stream ?? null)) ref.current.srcObject = stream ?? null;
  }, [stream]);
  return <video ref={ref} className={className} autoPlay playsInline muted={muted} data-testid={testId} />;
}

/** mm:ss (h:mm:ss past an hour) since the media started flowing. */
function Duration({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const total = Math.max(0, Math.floor((now - since) / 1000));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    <p className="call__status" data-testid="call-duration">
      <span className="sr-only">Connected, </span>
      <time>{h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`}</time>
    </p>
  );
}
