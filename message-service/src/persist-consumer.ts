import {
  DEAD_LETTER_REASON_HEADER,
  MESSAGE_PERSIST_DLQ,
  MESSAGE_PERSIST_DLX,
  MESSAGE_PERSIST_QUEUE,
  isEnvelope,
  isMemberQueueEvent,
  parseQueuedBody,
  unknownQueuedEvent,
  type MemberQueueEvent,
  type Message,
  type QueuedEvent,
  type RoomEvent,
  type RoomEventType,
} from '@chat/contracts';
import { backoffDelay, invalidFromZod, sleep, type AmqpConnection, type Logger } from '@chat/service-kit';
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { Counter } from 'prom-client';
import { judgeDuplicate, type DuplicateVerdict } from './duplicates.js';
import type { StoredInRoom } from './history-cache.js';
import type { MembershipStore } from './membership-store.js';
import type { InsertOutcome, MessageStore, StoredKeys } from './message-store.js';
import type { MessageServiceMetrics } from './metrics.js';
import { blockOf } from './seq-blocks.js';
import { declareTopology } from './topology.js';
import { within } from './within.js';
import { classifyWriteError, messageOf, type WriteFailureKind } from './write-errors.js';

/** Membership and read events, and the room state the room list reads (kept from stored messages). */
export interface ConsumerMembers {
  applyMemberEvents: MembershipStore['applyMemberEvents'];
  recordActivity(stored: Message[]): Promise<void>;
}

export interface PersistConsumerOptions {
  store: MessageStore;
  members: ConsumerMembers;
  /**
   * Called after each write, before the acks, with what it stored per room: the highest seq now
   * stored and the seq blocks of the messages written (cache invalidation, the stored-max mark,
   * block generations).
   */
  onStored: (stored: Map<string, StoredInRoom>) => Promise<void>;
  /** Told what each write stored, before the acks (files carried or released: file-lifecycle.ts); never throws. */
  afterStored?: (events: Pick<RoomEvent, 'type' | 'message'>[]) => Promise<void>;
  metrics: MessageServiceMetrics;
  log: Logger;
  /** Consumer tag shown in the management UI, `message-service@<host>`. */
  consumerTag: string;
  prefetch: number;
  batchSize: number;
  batchMaxWaitMs: number;
  retryMaxMs: number;
  docMaxAttempts: number;
  /** A delivery unacked for longer than this means the consumer is stuck (/ready, `persist_consumer_stuck`). */
  stuckAfterMs: number;
}

type DeadLetterReason = 'invalid_json' | 'invalid_schema' | 'unknown_event' | 'write_rejected' | 'seq_conflict';

/** A delivery waiting to be written, with the channel it must be acked on. */
interface PendingBase {
  ch: Channel;
  msg: ConsumeMessage;
  receivedAt: number;
  /** Times it was put back to be written again (its backoff). */
  retries: number;
  /** Times MongoDB refused it for an unknown reason. */
  refusals: number;
}

/** A room event: a message, or a change carrying its full state after it. */
interface RoomPending extends PendingBase {
  kind: 'room';
  type: RoomEventType;
  message: Message;
}

/** A membership or read-marker event. */
interface MemberPending extends PendingBase {
  kind: 'member';
  event: MemberQueueEvent;
}

type Pending = RoomPending | MemberPending;

const isRoomPending = (p: Pending): p is RoomPending => p.kind === 'room';

/** The channels of one connection: deliveries come in on `ch`; the DLQ is published on `confirm`. */
interface Channels {
  conn: AmqpConnection;
  ch: Channel;
  confirm: ConfirmChannel;
}

/**
 * `message_persist_queue` → MongoDB. Deliveries (room events, contracts `roomEventSchema`;
 * membership and read-marker events, `membershipQueueEventSchema`, `readQueueEventSchema`)
 * are buffered and written in batches: new messages with an unordered insertMany, changes
 * (edit, delete, reaction) as their full state, applied only over an older version
 * (message-store.ts); membership and read events as conditional upserts, and the state of each
 * room touched, for the room list (membership-store.ts); a delivery is acked only after
 * MongoDB has it and its room state. One batch is written
 * at a time while the next fills (prefetch > batch size). With MongoDB down (write-errors.ts
 * tells an outage from a refused document) the batch is retried with backoff and its
 * deliveries stay unacked, so the queue holds the backlog (no requeue: that would spend the
 * quorum queue's delivery limit). A document MongoDB refuses is isolated from its batch and
 * dead-lettered; a duplicate key is judged against what is stored (duplicates.ts).
 * Unparseable or schema-invalid messages, events of an unknown type or version, refused documents and seq conflicts are published
 * to the DLQ with the reason in a header, confirmed, then acked.
 */
export class PersistConsumer {
  private channels: Channels | null = null;
  private readonly closedChannels = new WeakSet<Channel>();
  private buffer: Pending[] = [];
  /** Every delivery not yet acked or dead-lettered, oldest first (a Set keeps insertion order). */
  private readonly unacked = new Set<Pending>();
  /** Set while writes fail for an outage: logged once when it starts and once when it ends. */
  private outage: { since: number; retries: number } | null = null;
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
    if ((await within(timeoutMs, this.flushAll())) === 'timeout') {
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
    for (const p of this.unacked) if (p.ch === channels.ch) this.unacked.delete(p);
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
    const { event } = parsed;
    const receivedAt = Date.now();
    // Literals, not a spread of shared fields: the spread was most of this function's time
    // in a CPU profile at 600 deliveries/s (README → Performance → "Issue 11's before and after").
    const pending: Pending = isMemberQueueEvent(event)
      ? { kind: 'member', event, ch, msg, receivedAt, retries: 0, refusals: 0 }
      : { kind: 'room', type: event.type, message: event.message, ch, msg, receivedAt, retries: 0, refusals: 0 };
    this.unacked.add(pending);
    this.buffer.push(pending);
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

  /**
   * Write one batch until each of its deliveries is stored and acked, or dead-lettered.
   * `groups` are the parts still to write, oldest first. A part refused as a whole for a
   * reason other than an outage is halved until the document at fault is alone (about
   * 2·log2(n) more writes for one bad document among n), so the others are stored and acked
   * and one document can never hold up every room.
   */
  private async writeBatch(batch: Pending[]): Promise<void> {
    const groups: Pending[][] = [batch];
    while (groups.length > 0) {
      if (this.abandoned) return;
      // Kept as the same array unless a channel closed: `group === batch` allows the one multiple ack.
      let group = groups[0]!;
      if (group.some((p) => this.closedChannels.has(p.ch))) {
        group = group.filter((p) => !this.closedChannels.has(p.ch));
        groups[0] = group;
      }
      if (group.length === 0) {
        groups.shift();
        continue;
      }
      const retryRound = Math.max(...group.map((p) => p.retries));
      if (retryRound > 0) await sleep(backoffDelay(retryRound, 50, this.opts.retryMaxMs));
      const started = process.hrtime.bigint();
      let outcome: InsertOutcome;
      try {
        outcome = await this.writeGroup(group);
      } catch (err) {
        const kind = classifyWriteError(err);
        if (kind === 'outage') {
          await this.waitOutOutage(err);
          continue;
        }
        this.endOutage();
        groups.shift();
        if (group.length > 1) {
          this.opts.metrics.batchSplits.inc();
          const half = Math.ceil(group.length / 2);
          groups.unshift(group.slice(0, half), group.slice(half));
        } else {
          const retry = await this.refused(group[0]!, kind, messageOf(err));
          if (retry) groups.push([retry]);
        }
        continue;
      }
      this.endOutage();
      this.opts.metrics.batchWriteSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      groups.shift();
      const retry = await this.settle(group, outcome, group === batch);
      if (retry.length > 0) groups.push(retry);
    }
  }

  /**
   * Room events through the message store, then membership and read events (which throw as a
   * whole: a refused one is isolated by halving, like a refused insert). The outcome is by
   * position in `group`; `inserted` counts messages only.
   */
  private async writeGroup(group: Pending[]): Promise<InsertOutcome> {
    const roomAt: number[] = [];
    const memberEvents: MemberQueueEvent[] = [];
    group.forEach((p, i) => (p.kind === 'room' ? roomAt.push(i) : memberEvents.push(p.event)));
    const outcome: InsertOutcome = { inserted: 0, duplicates: [], rejected: [] };
    if (roomAt.length > 0) {
      const rooms = roomAt.map((i) => group[i] as RoomPending);
      const part = await this.opts.store.writeBatch(rooms.map(({ type, message }) => ({ type, message })));
      outcome.inserted = part.inserted;
      outcome.duplicates = part.duplicates.map((k) => roomAt[k]!);
      outcome.rejected = part.rejected.map((r) => ({ ...r, index: roomAt[r.index]! }));
    }
    if (memberEvents.length > 0) await this.opts.members.applyMemberEvents(memberEvents);
    return outcome;
  }

  /**
   * After a write that answered per document: judge the duplicates, record the rooms' state,
   * ack what is stored, dead-letter what never will be, and return what must be written again.
   */
  private async settle(group: Pending[], outcome: InsertOutcome, wholeBatch: boolean): Promise<Pending[]> {
    const { metrics } = this.opts;
    const refusedAt = new Map(outcome.rejected.map((r) => [r.index, r]));
    const duplicateAt = new Set(outcome.duplicates);
    /**
     * Room → highest seq (of a message or a change) now known stored, for the stored-max mark and
     * the cache, and the blocks of the messages written. Every change counts, reactions too: a
     * change is the message's whole state, so one may carry an edit's mentions or a deletion that
     * it overtook.
     */
    const marks = new Map<string, { maxSeq: number; blocks: Set<number> }>();
    const mark = (roomId: string, seq: number, ...written: number[]) => {
      const held = marks.get(roomId) ?? { maxSeq: -1, blocks: new Set<number>() };
      held.maxSeq = Math.max(seq, held.maxSeq);
      for (const messageSeq of written) held.blocks.add(blockOf(messageSeq));
      marks.set(roomId, held);
    };
    const done: Pending[] = [];
    const retry: Pending[] = [];
    /** Messages now stored under their own id: the rooms' state is raised from them. */
    const stored: Message[] = [];
    const verdicts = await this.judgeDuplicates(
      group.filter((p, i) => duplicateAt.has(i) && isRoomPending(p)) as RoomPending[],
    );
    let duplicates = 0;

    for (const [i, p] of group.entries()) {
      const refusal = refusedAt.get(i);
      if (refusal) {
        const again = await this.refused(p, refusal.kind, refusal.reason);
        if (again) retry.push(again);
        continue;
      }
      if (p.kind === 'member') {
        done.push(p);
        continue;
      }
      const verdict = verdicts.get(p);
      if (!verdict) {
        mark(p.message.roomId, p.message.version, p.message.seq);
        stored.push(p.message);
        done.push(p);
        continue;
      }
      switch (verdict.kind) {
        case 'same':
          duplicates += 1;
          // The stored copy's block, whatever the move below does: a move that failed may have been written.
          mark(p.message.roomId, verdict.storedSeq, verdict.storedSeq);
          if (p.type === 'message' && p.message.seq > verdict.storedSeq) {
            // A resend admitted again after its dedupe record was lost: acked and broadcast at
            // the newer seq, so that is where it is kept (acked means stored as acked).
            const retried = await this.moveToNewerSeq(p, verdict.storedSeq);
            if (retried) {
              retry.push(retried);
              break;
            }
          }
          mark(p.message.roomId, Math.max(verdict.storedSeq, p.type === 'message' ? p.message.seq : 0), p.message.seq);
          stored.push(p.message);
          done.push(p);
          break;
        case 'client-msg-id-conflict':
          // Not dead-lettered: the original of this send is stored; only the resend's id is lost.
          this.reportConflict(metrics.clientMsgIdConflicts, p, verdict.storedId, 'resend stored under another id');
          done.push(p);
          break;
        case 'seq-conflict':
          this.reportConflict(metrics.seqConflicts, p, verdict.storedId, 'seq reused upstream; dead-lettered');
          this.deadLetterPending(
            p,
            'seq_conflict',
            `seq-conflict: seq ${p.message.seq} of room ${p.message.roomId} is held by message ${verdict.storedId}`,
          );
          break;
        case 'missing': {
          const again = await this.refused(p, 'unknown', 'refused as a duplicate, yet nothing stored shares its keys');
          if (again) retry.push(again);
          break;
        }
      }
    }
    // Unacked, they come back (and are stored again, harmlessly) after a drain that ran out of time.
    if (!(await this.recordActivity(stored))) return [];
    await this.opts.onStored(marks);
    await this.opts.afterStored?.(done.filter(isRoomPending).map(({ type, message }) => ({ type, message })));
    this.ackAll(done, wholeBatch && done.length === group.length);
    // Counted once stored, invalidated and acked: a reader that sees the count sees the write.
    metrics.batches.inc();
    metrics.batchSize.observe(group.length);
    metrics.stored.inc(outcome.inserted);
    metrics.duplicates.inc(duplicates);
    const now = Date.now();
    for (const p of done) {
      if (p.kind === 'member') metrics.memberEventsApplied.inc({ type: p.event.type });
      else metrics.persistLagSeconds.observe(Math.max(0, now - Date.parse(p.message.createdAt)) / 1000);
    }
    return retry;
  }

  /**
   * The rooms' state from the messages just stored, before their acks: retried while MongoDB
   * is down. Any other failure is logged and the messages acked all the same (they are stored;
   * the room list catches up with the room's next message). False when a drain gave up.
   */
  private async recordActivity(stored: Message[]): Promise<boolean> {
    if (stored.length === 0) return true;
    for (;;) {
      if (this.abandoned) return false;
      try {
        await this.opts.members.recordActivity(stored);
        this.endOutage();
        return true;
      } catch (err) {
        if (classifyWriteError(err) === 'outage') {
          await this.waitOutOutage(err);
          continue;
        }
        this.opts.metrics.roomStateFailures.inc();
        this.opts.log.error(
          { err: messageOf(err) },
          'room state not recorded; the room list is behind until its next message',
        );
        return true;
      }
    }
  }

  /** Moves the stored copy forward; on a write failure the delivery is written (and judged) again. */
  private async moveToNewerSeq(p: RoomPending, storedSeq: number): Promise<Pending | undefined> {
    try {
      if (await this.opts.store.moveToNewerSeq(p.message, storedSeq)) this.opts.metrics.movedToNewerSeq.inc();
      return undefined;
    } catch (err) {
      this.opts.log.warn({ ...identify(p), err: messageOf(err) }, 'moving a resend to its newer seq failed; retrying');
      return { ...p, retries: p.retries + 1 };
    }
  }

  /** A conflict is an upstream fault, never expected: counted and logged at error, each one. */
  private reportConflict(counter: Counter, p: RoomPending, storedId: string, what: string): void {
    counter.inc();
    this.opts.log.error({ ...identify(p), storedId }, what);
  }

  /** The verdict on each delivery refused as a duplicate key; a failed lookup leaves them `missing` (written again). */
  private async judgeDuplicates(entries: RoomPending[]): Promise<Map<Pending, DuplicateVerdict>> {
    const verdicts = new Map<Pending, DuplicateVerdict>();
    if (entries.length === 0) return verdicts;
    let stored: StoredKeys[] | null = null;
    try {
      stored = await this.opts.store.findByUniqueKeys(entries.map((p) => p.message));
    } catch (err) {
      this.opts.log.warn({ err: messageOf(err) }, 'duplicate lookup failed; writing those messages again');
    }
    for (const p of entries) verdicts.set(p, stored ? judgeDuplicate(p.message, stored) : { kind: 'missing' });
    return verdicts;
  }

  /**
   * A document MongoDB refused on its own. A known rejection is dead-lettered at once. An
   * unknown one is retried, and dead-lettered only after PERSIST_DOC_MAX_ATTEMPTS refusals
   * while MongoDB answers reads (so an outage that reports itself strangely, e.g. FerretDB
   * without its PostgreSQL, never sends good messages to the DLQ). Returns the delivery to
   * write again, or null.
   */
  private async refused(p: Pending, kind: WriteFailureKind, reason: string): Promise<Pending | null> {
    if (kind === 'rejected') {
      this.deadLetterPending(p, 'write_rejected', `MongoDB refused the document: ${reason}`);
      return null;
    }
    p.retries += 1;
    if (kind === 'unknown') {
      p.refusals += 1;
      if (p.refusals >= this.opts.docMaxAttempts && (await this.opts.store.isAnswering())) {
        this.deadLetterPending(p, 'write_rejected', `MongoDB refused the document ${p.refusals} times: ${reason}`);
        return null;
      }
    }
    if (p.retries === 1) this.opts.log.warn({ ...identify(p), reason }, 'document refused; retrying it');
    return p;
  }

  /** Logged once per outage (warn), not per batch or message; the batch is written again after a backoff. */
  private async waitOutOutage(err: unknown): Promise<void> {
    if (this.outage === null) {
      this.outage = { since: Date.now(), retries: 0 };
      this.opts.log.warn({ err: messageOf(err) }, 'MongoDB unavailable; holding deliveries unacked and retrying');
    }
    this.opts.metrics.writeRetries.inc();
    await sleep(backoffDelay(this.outage.retries, 50, this.opts.retryMaxMs));
    this.outage.retries += 1;
  }

  private endOutage(): void {
    if (this.outage === null) return;
    const { since, retries } = this.outage;
    this.outage = null;
    this.opts.log.info({ retries, downMs: Date.now() - since }, 'MongoDB writable again');
  }

  /** Age of the oldest delivery not yet acked or dead-lettered (0 when none), and whether that is over the stuck threshold. */
  health(): { oldestPendingMs: number; stuck: boolean } {
    const oldest = this.unacked.values().next();
    const oldestPendingMs = oldest.done ? 0 : Date.now() - oldest.value.receivedAt;
    return { oldestPendingMs, stuck: oldestPendingMs > this.opts.stuckAfterMs };
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
    for (const p of entries) this.unacked.delete(p);
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

  private deadLetterPending(p: Pending, kind: DeadLetterReason, reason: string): void {
    this.unacked.delete(p);
    this.deadLetter(p.ch, p.msg, kind, reason);
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
        this.opts.log.warn({ err: (err as Error).message, reason }, 'dead-letter publish failed; rejecting');
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

function parseQueued(content: Buffer): { event: QueuedEvent } | { kind: DeadLetterReason; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch {
    return { kind: 'invalid_json', reason: 'body is not valid JSON' };
  }
  const unknown = unknownQueuedEvent(json);
  if (unknown !== null) return { kind: 'unknown_event', reason: unknown };
  const r = parseQueuedBody(json);
  if (!r.success) {
    const what = isEnvelope(json) ? `not a ${(json as { type?: unknown }).type} event` : 'not a Message';
    return { kind: 'invalid_schema', reason: `${what}: ${invalidFromZod(r.error).message}` };
  }
  return { event: r.data };
}

/** A delivery named in a log line, without its text. */
function identify(p: Pending) {
  if (p.kind === 'member') return { event: p.event };
  const m = p.message;
  return { roomId: m.roomId, seq: m.seq, id: m.id, senderId: m.senderId, clientMsgId: m.clientMsgId };
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
