import type { Logger } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import { redisUnavailable } from './redis-errors.js';

/** How long a send waits for the first connection (or the run_id read after a reconnect). */
const KNOWN_WAIT_MS = 3_000;

/**
 * Counts Redis restarts (and failovers) seen by this node: a reconnect to a server whose
 * `run_id` differs from the last one known. A restarted server may have come back without
 * the tail of its writes (AOF fsync every second, an async replica), so counters it holds
 * can be older than seqs already handed out.
 */
export class RedisRestarts {
  /** The server last connected to: undefined before the first, null if its run_id was unreadable. */
  private runId: string | null | undefined;
  private restarts = 0;
  /** Settles once the server behind the current connection is known; undefined while down. */
  private known: Promise<void> | undefined;
  /** `known` has settled: the usual case, answered without a timer. */
  private settled = false;
  /** Until the first connection: sends wait for it rather than fail. */
  private firstReady: ((check: Promise<void>) => void) | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {
    redis.on('ready', this.onReady);
    redis.on('close', this.onClose);
    if (redis.status === 'ready') this.onReady();
    else this.known = new Promise<void>((resolve) => (this.firstReady = resolve));
  }

  /**
   * Restarts seen so far, once the server behind the connection is known. While the
   * connection is down it throws UNAVAILABLE at once: a command queued until the reconnect
   * could otherwise reach a restarted server before its counters were checked.
   */
  async seen(): Promise<number> {
    if (!this.known) redisUnavailable(new Error('redis connection down'));
    if (this.settled) return this.restarts;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('redis not ready')), KNOWN_WAIT_MS);
    });
    await Promise.race([this.known, timeout])
      .catch(redisUnavailable)
      .finally(() => clearTimeout(timer));
    return this.restarts;
  }

  close(): void {
    this.redis.off('ready', this.onReady);
    this.redis.off('close', this.onClose);
  }

  private readonly onReady = () => {
    const check = this.readRunId();
    this.known = check;
    this.settled = false;
    void check.then(() => {
      if (this.known === check) this.settled = true;
    });
    this.firstReady?.(check);
    this.firstReady = undefined;
  };

  private readonly onClose = () => {
    if (this.firstReady) return;
    this.known = undefined;
    this.settled = false;
  };

  private async readRunId(): Promise<void> {
    let runId: string | null = null;
    try {
      runId = /^run_id:(\w+)/m.exec(await this.redis.info('server'))?.[1] ?? null;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'reading the redis run_id failed');
    }
    // An unreadable run_id (INFO failed or denied) after a reconnect counts as a restart.
    if (this.runId !== undefined && (runId === null || runId !== this.runId)) {
      this.restarts++;
      this.log.warn({ runId }, 'redis restarted or failed over: room counters are checked before their next send');
    }
    this.runId = runId;
  }
}
