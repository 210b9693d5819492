import {
  DEAD_LETTER_REASON_HEADER,
  MESSAGE_PERSIST_DLQ,
  MESSAGE_PERSIST_DLX,
  MESSAGE_PERSIST_QUEUE,
  queuedMessageSchema,
  type Message,
} from '@chat/contracts';
import { backoffDelay, invalidFromZod, sleep, type AmqpConnection, type Logger } from '@chat/service-kit';
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { MessageStore } from './message-store.js';
import type { MessageServiceMetrics } from './metrics.js';
import { declareTopology } from './topology.js';

export interface PersistConsumerOptions {
  store: MessageStore;
  /** Called with the rooms of each stored batch, before its acks (cache invalidation). */
  onStored: (roomIds: Set<string>) => Promise<void>;
  metrics: MessageServiceMetrics;
  log: Logger;
  /** Consumer tag shown in the management UI, `message-service@<host>`. */
  consumerTag: string;
  prefetch: number;
  batchSize: number;
  batchMaxWaitMs: number;
  retryMaxMs: number;
  docMaxAttempts: number;
}

type DeadLetterReason = 'invalid_json' | 'invalid_schema' | 'write_rejected';

/** A delivery waiting to be written, with the channel it must be acked on. */
interface Pending {
  ch: Channel;
  msg: ConsumeMessage;
  message: Message;
}

/** The channels of one connection: deliveries come in on `ch`; the DLQ is published on `confirm`. */
interface Channels {
  conn: AmqpConnection;
  ch: Channel;
  confirm: ConfirmChannel;
}

/**
 * `message_persist_queue` → MongoDB. Deliveries are buffered and written in batches with an
 * unordered insertMany (duplicate key = already stored); a batch is acked only after MongoDB
 * has it. One batch is written at a time while the next fills (prefetch > batch size). With
 * MongoDB down the batch is retried with backoff and its deliveries stay unacked, so the
 * queue holds the backlog (no requeue: that would spend the quorum queue's delivery limit).
 * Unparseable or schema-invalid messages are published to the DLQ with the reason in a
 * header, confirmed, then acked.
 */
export class PersistConsumer {
  private channels: Channels | null = null;
  private readonly closedChannels = new WeakSet<Channel>();
  private buffer: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  /** Delivery tags being dead-lettered, per channel (a multiple ack must not cover them). */
  private readonly deadLettering = new Map<Channel, Map<number, Promise<void>>>();
  private stopping = false;
  /** Set when a drain ran out of time: give up retries, unacked deliveries return to the queue. */
  private abandoned = false;

  constructor(private readonly opts: PersistConsumerOptions) {}

  /** Runs on every (re)connect: channels, topology, prefetch, consume. */
  async attach(conn: AmqpConnection): Promise<void> {
    const ch = await conn.createChannel();
    const confirm = await conn.createConfirmChannel();
    const channels: Channels = { conn, ch, confirm };
    for (const c of [ch, confirm]) {
      c.on('error', (err: Error) => this.opts.log.warn({ err: err.message }, 'amqp channel error'));
      c.on('close', () => this.onChannelClosed(channels, c));
    }
    await declareTopology(ch);
    await ch.prefetch(this.opts.prefetch);
    this.channels = channels;
    if (this.stopping) return;
    await ch.consume(MESSAGE_PERSIST_QUEUE, (msg) => this.onDelivery(ch, msg), {
      noAck: false,
      consumerTag: this.opts.consumerTag,
    });
    this.opts.log.info({ queue: MESSAGE_PERSIST_QUEUE, prefetch: this.opts.prefetch }, 'consuming');
  }

  /**
   * Graceful stop: cancel the consumer, write what is buffered, finish in-flight acks and
   * dead-letters. Bounded by `timeoutMs` (MongoDB may be down); what is unacked by then
   * returns to the queue when the connection closes.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const channels = this.channels;
    if (channels && !this.closedChannels.has(channels.ch)) {
      await channels.ch.cancel(this.opts.consumerTag).catch(() => undefined);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.flushAll().then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.abandoned = true;
      this.opts.log.warn({ unacked: this.buffer.length }, 'drain timed out; unacked messages return to the queue');
    }
    // Closing the channels (close-ok comes after every frame sent before) makes sure the
    // broker has our acks before the connection goes: amqplib may send a connection close
    // ahead of channel frames still queued in its writer.
    if (channels) {
      await Promise.all([channels.ch.close(), channels.confirm.close()].map((p) => p.catch(() => undefined)));
    }
  }

  private async flushAll(): Promise<void> {
    while (this.writing || this.buffer.length > 0) {
      this.startWrite();
      await this.writing;
    }
    await Promise.all([...this.deadLettering.values()].flatMap((m) => [...m.values()]));
  }

  private onChannelClosed(channels: Channels, closed: Channel): void {
    this.closedChannels.add(closed);
    // Their deliveries return to the queue; the ones a write is holding are acked in vain (harmless).
    this.buffer = this.buffer.filter((p) => p.ch !== channels.ch);
    if (this.channels === channels) this.channels = null;
    // A channel closed under a live connection (e.g. a broker error) would leave us idle:
    // recycle the connection so the reconnect loop attaches afresh.
    if (!this.stopping) void channels.conn.close().catch(() => undefined);
  }

  private onDelivery(ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      this.opts.log.warn('consumer cancelled by the broker; reconnecting');
      void this.channels?.conn.close().catch(() => undefined);
      return;
    }
    const parsed = parseQueued(msg.content);
    if ('reason' in parsed) {
      this.deadLetter(ch, msg, parsed.kind, parsed.reason);
      return;
    }
    this.buffer.push({ ch, msg, message: parsed.message });
    if (this.buffer.length >= this.opts.batchSize) this.startWrite();
    else
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.startWrite();
      }, this.opts.batchMaxWaitMs);
  }

  /** Write the oldest buffered batch unless a write is in flight (it restarts us when done). */
  private startWrite(): void {
    if (this.writing || this.buffer.length === 0) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.buffer.splice(0, this.opts.batchSize);
    this.writing = this.writeBatch(batch)
      .catch((err: unknown) => this.opts.log.error({ err }, 'batch write failed unexpectedly'))
      .finally(() => {
        this.writing = null;
        // What arrived during the write has waited long enough; under load this keeps batches full.
        if (this.buffer.length > 0 && (this.buffer.length >= this.opts.batchSize || this.timer === null))
          this.startWrite();
      });
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    let pending = batch;
    let outageRetries = 0;
    let rejectedAttempts = 0;
    for (;;) {
      if (this.abandoned || pending.every((p) => this.closedChannels.has(p.ch))) return;
      const started = process.hrtime.bigint();
      let outcome;
      try {
        outcome = await this.opts.store.insertBatch(pending.map((p) => p.message));
      } catch (err) {
        this.opts.metrics.writeRetries.inc();
        const delay = backoffDelay(outageRetries, 50, this.opts.retryMaxMs);
        if (outageRetries === 0)
          this.opts.log.warn({ err: (err as Error).message, size: pending.length }, 'batch write failed; retrying');
        outageRetries += 1;
        await sleep(delay);
        continue;
      }
      const writeSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (outageRetries > 0) this.opts.log.info({ retries: outageRetries }, 'batch written after retries');
      outageRetries = 0;

      const rejectedIndexes = new Set(outcome.rejected.map((r) => r.index));
      const done = pending.filter((_, i) => !rejectedIndexes.has(i));
      await this.opts.onStored(new Set(done.map((p) => p.message.roomId)));
      this.ackAll(done, done.length === pending.length);
      // Counted once stored, invalidated and acked: a reader that sees the count sees the write.
      const { metrics } = this.opts;
      metrics.batchWriteSeconds.observe(writeSeconds);
      metrics.batches.inc();
      metrics.batchSize.observe(pending.length);
      metrics.stored.inc(outcome.inserted);
      metrics.duplicates.inc(outcome.duplicates);
      if (rejectedIndexes.size === 0) return;

      const rejected = outcome.rejected.map((r) => ({ entry: pending[r.index]!, reason: r.reason }));
      pending = rejected.map((r) => r.entry);
      rejectedAttempts += 1;
      if (rejectedAttempts >= this.opts.docMaxAttempts) {
        for (const { entry, reason } of rejected) {
          this.deadLetter(entry.ch, entry.msg, 'write_rejected', `MongoDB rejected the document: ${reason}`);
        }
        return;
      }
      this.opts.log.warn({ rejected: outcome.rejected }, 'documents rejected by MongoDB; retrying them');
      await sleep(backoffDelay(rejectedAttempts, 50, this.opts.retryMaxMs));
    }
  }

  /**
   * Ack written deliveries. One `multiple` ack up to the last tag is used only when the
   * entries are every unacked delivery up to it: `complete` (nothing of the batch was held
   * back) and no older delivery of the channel is still being dead-lettered.
   */
  private ackAll(entries: Pending[], complete: boolean): void {
    const byChannel = new Map<Channel, Pending[]>();
    for (const p of entries) {
      const list = byChannel.get(p.ch);
      if (list) list.push(p);
      else byChannel.set(p.ch, [p]);
    }
    for (const [ch, list] of byChannel) {
      if (this.closedChannels.has(ch)) continue; // redelivered on the new channel; stored as a duplicate
      const last = list[list.length - 1]!.msg;
      const deadLetteringOlder = [...(this.deadLettering.get(ch)?.keys() ?? [])].some(
        (tag) => tag < last.fields.deliveryTag,
      );
      try {
        if (complete && !deadLetteringOlder) ch.ack(last, true);
        else for (const p of list) ch.ack(p.msg);
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'ack failed; messages will be redelivered');
      }
    }
  }

  /** Publish to the DLQ with the reason header, wait for the confirm, then ack the original. */
  private deadLetter(ch: Channel, msg: ConsumeMessage, kind: DeadLetterReason, reason: string): void {
    const tag = msg.fields.deliveryTag;
    const inFlight = this.deadLettering.get(ch) ?? new Map<number, Promise<void>>();
    this.deadLettering.set(ch, inFlight);
    const done = (async () => {
      const confirm = this.channels?.ch === ch ? this.channels.confirm : null;
      try {
        if (!confirm) throw new Error('confirm channel closed');
        const { contentType, contentEncoding, messageId, timestamp, appId, type, correlationId } = msg.properties;
        await publishConfirmed(confirm, MESSAGE_PERSIST_DLX, MESSAGE_PERSIST_DLQ, msg.content, {
          ...definedOnly({ contentType, contentEncoding, messageId, timestamp, appId, type, correlationId }),
          persistent: true,
          headers: {
            ...msg.properties.headers,
            [DEAD_LETTER_REASON_HEADER]: reason.slice(0, 500),
            'x-original-exchange': msg.fields.exchange,
            'x-original-routing-key': msg.fields.routingKey,
          },
        });
        ch.ack(msg);
        this.opts.metrics.deadLettered.inc({ reason: kind });
        this.opts.log.warn({ reason, routingKey: msg.fields.routingKey }, 'message dead-lettered');
      } catch (err) {
        // Without our header: let the broker dead-letter it (x-death says `rejected`).
        this.opts.log.error({ err: (err as Error).message, reason }, 'dead-letter publish failed; rejecting');
        if (!this.closedChannels.has(ch)) {
          try {
            ch.nack(msg, false, false);
          } catch {
            // channel closed meanwhile: the message is redelivered and judged again
          }
        }
      } finally {
        inFlight.delete(tag);
        if (inFlight.size === 0) this.deadLettering.delete(ch);
      }
    })();
    inFlight.set(tag, done);
  }
}

function parseQueued(content: Buffer): { message: Message } | { kind: DeadLetterReason; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch {
    return { kind: 'invalid_json', reason: 'body is not valid JSON' };
  }
  const r = queuedMessageSchema.safeParse(json);
  if (!r.success) return { kind: 'invalid_schema', reason: `not a Message: ${invalidFromZod(r.error).message}` };
  return { message: r.data };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function publishConfirmed(
  ch: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
): Promise<void> {
  return new Promise((resolve, reject) => {
    ch.publish(exchange, routingKey, content, options, (err) => (err ? reject(err as Error) : resolve()));
  });
}
