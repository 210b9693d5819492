import { EventEmitter } from 'node:events';
import amqp, { type ChannelModel } from 'amqplib';
import { backoffDelay, sleep } from './backoff.js';
import type { Readiness } from './health.js';
import type { Logger } from './logger.js';

export type AmqpConnection = ChannelModel;

export interface AmqpConnectOptions {
  url: string;
  /** Shown in the management UI's connection list, e.g. `chat-service@host`. */
  name: string;
  log: Logger;
  readiness?: Readiness;
  /**
   * Runs on every (re)connect before the connection counts as up: declare topology, open
   * channels, start consumers. If it throws, the connection is closed and retried.
   */
  setup: (conn: AmqpConnection) => Promise<void>;
  heartbeatSec?: number;
}

interface AmqpEvents {
  connected: [AmqpConnection];
  disconnected: [Error | undefined];
  blocked: [string];
  unblocked: [];
}

/**
 * A RabbitMQ connection that reconnects forever with jittered backoff. Nagle is off
 * (`noDelay`), which takes a publisher confirm from ~25 ms to ~1 ms on loopback.
 * `blocked` (broker resource alarm) is surfaced so publishers can fail fast.
 */
export class ReconnectingAmqp extends EventEmitter<AmqpEvents> {
  private conn: AmqpConnection | null = null;
  private closing = false;
  private blockedReason: string | null = null;
  private loop: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(private readonly opts: AmqpConnectOptions) {
    super();
    this.log = opts.log.child({ amqp: opts.name });
    opts.readiness?.register('rabbitmq', () => this.isConnected);
  }

  get isConnected(): boolean {
    return this.conn !== null;
  }

  get isBlocked(): boolean {
    return this.blockedReason !== null;
  }

  get connection(): AmqpConnection | null {
    return this.conn;
  }

  /** Start connecting; resolves after the first successful connect and setup. */
  start(): Promise<void> {
    const first = new Promise<void>((resolve) => this.once('connected', () => resolve()));
    this.loop ??= this.connectLoop();
    return first;
  }

  private async connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.closing) {
      try {
        const conn = await amqp.connect(this.opts.url, {
          clientProperties: { connection_name: this.opts.name },
          noDelay: true,
          heartbeat: this.opts.heartbeatSec ?? 15,
        } as Parameters<typeof amqp.connect>[1]);
        const closed = new Promise<Error | undefined>((resolve) => {
          conn.on('close', (err?: Error) => resolve(err));
          conn.on('error', (err: Error) => this.log.warn({ err: err.message }, 'amqp connection error'));
        });
        conn.on('blocked', (reason: string) => {
          this.blockedReason = reason;
          this.log.warn({ reason }, 'amqp connection blocked by broker');
          this.emit('blocked', reason);
        });
        conn.on('unblocked', () => {
          this.blockedReason = null;
          this.log.info('amqp connection unblocked');
          this.emit('unblocked');
        });
        try {
          await this.opts.setup(conn);
        } catch (err) {
          await conn.close().catch(() => undefined);
          throw err;
        }
        attempt = 0;
        this.conn = conn;
        this.log.info('amqp connected');
        this.emit('connected', conn);
        const err = await closed;
        this.conn = null;
        this.blockedReason = null;
        this.emit('disconnected', err);
        if (this.closing) return;
        this.log.warn({ err: err?.message }, 'amqp connection lost; reconnecting');
      } catch (err) {
        if (this.closing) return;
        const delay = backoffDelay(attempt++, 200, 10_000);
        this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'amqp connect failed');
        await sleep(delay);
      }
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const conn = this.conn;
    this.conn = null;
    if (conn) await conn.close().catch(() => undefined);
  }
}
