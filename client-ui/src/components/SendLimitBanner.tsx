import { describeWait } from '../api/wait.js';
import { useSecondsLeft } from '../chat/use-seconds-left.js';

/** Shown while the server's send limit holds messages back; they go out by themselves after. */
export function SendLimitBanner({ until }: { until: number | undefined }) {
  const seconds = useSecondsLeft(until);
  if (until === undefined) return null;
  return (
    <div className="banner tone--warn" role="status" data-testid="send-limit">
      You’re sending faster than the server allows. Your messages are queued — you can send again in{' '}
      {describeWait(seconds)}.
    </div>
  );
}
