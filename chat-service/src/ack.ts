import { isServerFault, toAppError, type Logger } from '@chat/service-kit';

type Reply = (res: unknown) => void;

/**
 * Adapts an async handler to a Socket.IO listener that always answers through the ack and
 * never throws: errors become `{ok:false, error}`; a missing ack callback (or one sent in
 * the payload's place) is tolerated, so a malformed emit never takes the socket down.
 */
export function withAck(log: Logger, event: string, handle: (payload: unknown) => Promise<unknown>) {
  return (payload: unknown, ack?: unknown): void => {
    let reply: Reply | undefined = typeof ack === 'function' ? (ack as Reply) : undefined;
    if (reply === undefined && typeof payload === 'function') {
      reply = payload as Reply;
      payload = undefined;
    }
    handle(payload).then(
      (res) => reply?.(res),
      (err: unknown) => {
        const appErr = toAppError(err);
        if (isServerFault(appErr)) log.error({ err, event }, 'socket event failed');
        reply?.(appErr.toAck());
      },
    );
  };
}
