import { once } from 'node:events';
import { CHAT_EXCHANGE, messageRoutingKey } from '@chat/contracts';
import {
  AppError,
  ReconnectingAmqp,
  declareChatExchange,
  type AmqpConnection,
  type Logger,
  type Readiness,
} from '@chat/service-kit';
import type { ConfirmChannel, Message as AmqpMessage } from 'amqplib';
import { PublishOutcomeUnknown, type MessagePublisher } from './publisher.js';

export interface AmqpPublisherOptions {
  url: string;
  /** Connection name for the management UI: `chat-service@<NODE_ID>`. */
  name: string;
  log: Logger;
  readiness?: Readiness;
  confirmTimeoutMs: number;
}

interface Pending {
  returned: boolean;
  settle(err?: AppError): void;
}

const unavailable = (why: string) => new AppError('UNAVAILABLE', `message broker unavailable: ${why}`);

/**
 * Persistent, mandatory publishes on a ConfirmChannel. A publish resolves on the broker's
 * ack and rejects with UNAVAILABLE on nack, return (unroutable), timeout, a blocked
 * connection or a lost channel; a confirm that arrives after the timeout changes nothing.
 */
export class AmqpPublisher implements MessagePublisher {
  private readonly amqp: ReconnectingAmqp;
  private channel: ConfirmChannel | null = null;
  /** Set while the channel's write buffer is full: publishes wait for its 'drain'. */
  private drained: Promise<unknown> | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly log: Logger;

  constructor(private readonly opts: AmqpPublisherOptions) {
    this.log = opts.log.child({ component: 'publisher' });
    this.amqp = new ReconnectingAmqp({
      url: opts.url,
      name: opts.name,
      log: opts.log,
      ...(opts.readiness ? { readiness: opts.readiness } : {}),
      setup: (conn) => this.openChannel(conn),
    });
    // A blocked connection holds what was already sent; those publishes time out as unknown.
    this.amqp.on('disconnected', () => this.failAll('connection lost'));
  }

  /** Resolves after the first connect; publishes fail fast with UNAVAILABLE until then. */
  start(): Promise<void> {
    return this.amqp.start();
  }

  async close(): Promise<void> {
    await this.amqp.close();
    this.failAll('publisher closed');
  }

  private async openChannel(conn: AmqpConnection): Promise<void> {
    const channel = await conn.createConfirmChannel();
    // chat-service owns this exchange's existence; message-service binds its queue to it.
    await declareChatExchange(channel);
    channel.on('return', (msg: AmqpMessage) => {
      // RabbitMQ sends basic.return before the ack of the same message.
      const entry = this.pending.get(String(msg.properties.messageId));
      if (entry) entry.returned = true;
    });
    channel.on('error', (err: Error) => this.log.warn({ err: err.message }, 'confirm channel error'));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = null;
      this.drained = null;
      this.failAll('channel closed');
      // A channel-level error leaves the connection up: open a fresh channel on it.
      if (this.amqp.connection === conn) {
        this.openChannel(conn).catch((err: Error) => {
          this.log.warn({ err: err.message }, 'reopening confirm channel failed; closing connection');
          conn.close().catch(() => undefined);
        });
      }
    });
    this.channel = channel;
  }

  async publish(roomId: string, messageId: string, body: Buffer): Promise<void> {
    if (this.amqp.isBlocked) throw unavailable('connection blocked');
    const deadline = Date.now() + this.opts.confirmTimeoutMs;
    while (this.drained) {
      const waited = await Promise.race([this.drained.then(() => true), sleepUntil(deadline)]);
      if (!waited) throw unavailable('write buffer full');
    }
    const channel = this.channel;
    if (!channel) throw unavailable('not connected');

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(
        () => entry.settle(new PublishOutcomeUnknown('no confirm in time')),
        Math.max(0, deadline - Date.now()),
      );
      const entry: Pending = {
        returned: false,
        settle: (err) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.pending.delete(messageId);
          if (err) reject(err);
          else resolve();
        },
      };
      this.pending.set(messageId, entry);
      try {
        const writable = channel.publish(
          CHAT_EXCHANGE,
          messageRoutingKey(roomId),
          body,
          { persistent: true, mandatory: true, messageId, contentType: 'application/json' },
          (err) => entry.settle(err ? unavailable('nacked') : entry.returned ? unavailable('unroutable') : undefined),
        );
        if (!writable && !this.drained) {
          // once() also settles on the channel's 'error'; any of the three ends the wait.
          this.drained = Promise.race([once(channel, 'drain'), once(channel, 'close')])
            .catch(() => undefined)
            .finally(() => {
              this.drained = null;
            });
        }
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'publish threw');
        entry.settle(unavailable('channel unusable'));
      }
    });
  }

  private failAll(why: string): void {
    if (this.pending.size === 0) return;
    this.log.warn({ pending: this.pending.size, why }, 'failing unconfirmed publishes');
    // These were written to the socket: the broker may have stored them before the loss.
    for (const entry of [...this.pending.values()]) entry.settle(new PublishOutcomeUnknown(why));
  }
}

function sleepUntil(deadline: number): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())).unref());
}
