import { isServerFault, toAppError, type Logger } from '@chat/service-kit';
import type { InFlight } from './in-flight.js';

type Reply = (res: unknown) => void;

/**
 * Adapts an async handler to a Socket.IO listener that always answers through the ack and
 * never throws: errors become `{ok:false, error}`; a missing ack callback (or one sent in
 * the payload's place) is tolerated, so a malformed emit never takes the socket down.
 * `inFlight` counts each event until its ack is written, so shutdown can wait for it.
 */
export function withAck(
  log: Logger,
  inFlight: InFlight,
  event: string,
  handle: (payload: unknown) => Promise<unknown>,
) {
  return (payload: unknown, ack?: unknown): void => {
    let reply: Reply | undefined = typeof ack === 'function' ? (ack as Reply) : undefined;
    if (reply === undefined && typeof payload === 'function') {
      reply = payload as Reply;
      payload = undefined;
    }
    const answered = handle(payload).then(
      (res) => reply?.(res),
      (err: unknown) => {
        const appErr = toAppError(err);
        if (isServerFault(appErr)) log.error({ err, event }, 'socket event failed');
        reply?.(appErr.toAck());
      },
    );
    void inFlight.track(answered);
  };
}
