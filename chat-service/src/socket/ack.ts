import type { ClientToServerEvents } from '@chat/contracts';
import { isServerFault, toAppError, type Logger } from '@chat/service-kit';
import { performance } from 'node:perf_hooks';
import type { Histogram } from 'prom-client';
import type { InFlight } from './in-flight.js';
import type { RefusalLog } from './refusal-log.js';

type Reply = (res: unknown) => void;

/** The answer an event's ack callback takes, read from the event map shared with clients. */
export type AckOf<E extends keyof ClientToServerEvents> = Parameters<
  NonNullable<Parameters<ClientToServerEvents[E]>[1]>
>[0];
/** The success half of that answer: what a handler of `E` resolves to (refusals throw an AppError). */
export type AckOk<E extends keyof ClientToServerEvents> = Extract<AckOf<E>, { ok: true }>;
/**
 * A handler of one client event, typed by that event: the payload is `unknown` until its schema
 * parses it, and the compiler checks the answer against the event's ack type.
 */
export type EventHandler<E extends keyof ClientToServerEvents> = (payload: unknown) => Promise<AckOk<E>>;

export interface AckDeps {
  log: Logger;
  /** Expected refusals (a dependency down) are logged here, once per change, not per event. */
  refusals: RefusalLog;
  /** Counts each event until its ack is written, so shutdown can wait for it. */
  inFlight: InFlight;
  /** Time to the ack of a sample of events (ACK_TIMING_SAMPLE), by event. */
  ackSeconds: Histogram<'event'>;
}

/**
 * One event in this many of each kind is timed, starting with the first: a latency
 * distribution needs only a sample, and prom-client's labelled observe on every event was a
 * visible part of the send path's CPU (the (b) profile, docs/performance-history.md).
 */
export const ACK_TIMING_SAMPLE = 8;

/**
 * Adapts an async handler to a Socket.IO listener that always answers through the ack and
 * never throws: errors become `{ok:false, error}`; a missing ack callback (or one sent in
 * the payload's place) is tolerated, so a malformed emit never takes the socket down.
 * Only real faults (INTERNAL) are logged as errors with their stack.
 */
export function ackWith({ log, refusals, inFlight, ackSeconds }: AckDeps) {
  /** Events seen per kind, across sockets: picks the sample. */
  const seen = new Map<string, number>();
  return (event: string, handle: (payload: unknown) => Promise<unknown>) =>
    (payload: unknown, ack?: unknown): void => {
      let reply: Reply | undefined = typeof ack === 'function' ? (ack as Reply) : undefined;
      if (reply === undefined && typeof payload === 'function') {
        reply = payload as Reply;
        payload = undefined;
      }
      const n = seen.get(event) ?? 0;
      seen.set(event, n + 1);
      const start = n % ACK_TIMING_SAMPLE === 0 ? performance.now() : undefined;
      const acked = () => {
        if (start !== undefined) ackSeconds.observe({ event }, (performance.now() - start) / 1000);
      };
      const answered = handle(payload).then(
        (res) => {
          refusals.served(event);
          reply?.(res);
          acked();
        },
        (err: unknown) => {
          const appErr = toAppError(err);
          if (appErr.code === 'INTERNAL') log.error({ err, event }, 'socket event failed');
          else if (isServerFault(appErr)) refusals.refused(event, `${appErr.code}: ${appErr.message}`);
          reply?.(appErr.toAck());
          acked();
        },
      );
      void inFlight.track(answered);
    };
}
