import { randomUUID } from 'node:crypto';
import {
  dmMembers,
  sendMessagePayloadSchema,
  type Attachment,
  type Message,
  type ReplyTo,
  type SendMessagePayload,
} from '@chat/contracts';
import { AppError, backoffDelay, parseOrThrow, sleep, toAppError, type Identity, type Logger } from '@chat/service-kit';
import type { SendAdmission, SendRequest, SentRecord } from '../adapters/admission.js';
import { InFlight } from '../socket/in-flight.js';
import type { AttachmentResolver } from '../adapters/attachments_redis.js';
import { mentionsOf, quoteOf } from './message-changes.js';
import type { Memberships } from './memberships.js';
import { messageIdFor, textHash } from './message-identity.js';
import type { MessageStates } from './message-states.js';
import type { ChatMetrics } from '../metrics.js';
import { PublishOutcomeUnknown, type MessagePublisher } from '../adapters/publisher.js';
import type { RecentBuffer } from '../adapters/recent-buffer.js';
import { roomEventBody } from './room-event-body.js';
import { assertRoomAccess } from './room-access.js';
import type { ChatServer, SocketData } from '../socket/socket-types.js';

export interface MessageHandlerDeps {
  io: ChatServer;
  admission: SendAdmission;
  recent: RecentBuffer;
  /** The quoted message of a reply (only replies read it). */
  states: MessageStates;
  publisher: MessagePublisher;
  /** Makes both users of a direct room members before its messages are broadcast. */
  memberships: Pick<Memberships, 'openDirect'>;
  /** `attachmentIds` of a send to its attachments (attachments.ts). */
  attachments: AttachmentResolver;
  metrics: ChatMetrics;
  log: Logger;
  isDraining: () => boolean;
  /** Bound on waiting for a concurrent resend of the same clientMsgId to settle. */
  confirmTimeoutMs: number;
}

/** Who a message is from: a user (from the token) or the internal API's system sender. */
export type Sender = Pick<Identity, 'userId' | 'displayName'> & { system?: true };
export type SendInput = Pick<SendMessagePayload, 'roomId' | 'clientMsgId' | 'text'> & {
  replyTo?: ReplyTo | undefined;
  attachments?: Attachment[] | undefined;
};
interface Sent {
  message: Message;
  duplicate: boolean;
}
export type MessageHandlers = ReturnType<typeof createMessageHandlers>;

const IN_FLIGHT_POLL_MS = 20;
/** Background attempts (with backoff, about a minute in all) to record a confirmed message. */
const RECORD_RETRIES = 15;
const SENDER_NAME_MAX = 64;

/**
 * sendMessage (DESIGN.md §4): validate, authorise, admit (dedupe + rate limit + seq in one
 * Redis call), publish and await the confirm, then record, broadcast and ack. Nothing is
 * broadcast for a send the broker did not confirm. Nothing here reads history: Redis alone
 * is the seq authority (admission_redis.ts).
 */
export function createMessageHandlers(deps: MessageHandlerDeps) {
  const { admission, metrics, log } = deps;
  /** Background retries of record writes, so that shutdown can wait for them. */
  const recordRetries = new InFlight();
  /**
   * Each attempt's claim: random per instance, counted within it — unique like a UUID per
   * attempt, without the 0.6 KB of string building randomUUID() costs each time.
   */
  const claimPrefix = randomUUID();
  let claims = 0;
  // Bound once: no label object built per send (prom-client still hashes the labels).
  const acceptedSends = metrics.sends.labels('accepted');
  const duplicateSends = metrics.sends.labels('duplicate');

  /** A user's send from a socket: validated and authorised, then the one send path. */
  async function sendFromSocket(caller: SocketData, payload: unknown): Promise<Sent> {
    const { roomId, clientMsgId, text, attachmentIds, replyToId } = parseOrThrow(sendMessagePayloadSchema, payload);
    assertRoomAccess(caller.user.userId, roomId);
    // Each step is awaited only when the send needs it: most sends are plain text in a public
    // room, and every await and object copy here is paid on each of them (docs/performance-history.md, 2026-12-02 02:09).
    const attachments = attachmentIds?.length
      ? await deps.attachments.resolve(caller.user.userId, attachmentIds)
      : undefined;
    const replyTo =
      replyToId === undefined ? undefined : quoteOf(await deps.states.current(roomId, replyToId, caller.token));
    if (dmMembers(roomId) !== null) await deps.memberships.openDirect(caller.user, roomId);
    return send(caller.user, { roomId, clientMsgId, text, replyTo, attachments });
  }

  /** The send path of every message, a user's or a system one (internal-api.ts). */
  async function send(sender: Sender, input: SendInput, ratePerMinute?: number): Promise<Sent> {
    if (deps.isDraining()) throw new AppError('UNAVAILABLE', 'server shutting down; reconnect and resend');
    const req: SendRequest = {
      userId: sender.userId,
      roomId: input.roomId,
      messageId: messageIdFor(input.roomId, sender.userId, input.clientMsgId),
      claim: `${claimPrefix}:${++claims}`,
    };
    if (ratePerMinute !== undefined) req.ratePerMinute = ratePerMinute;
    const deadline = Date.now() + deps.confirmTimeoutMs + 1000;
    while (Date.now() < deadline) {
      const admitted = await admission.admit(req);
      switch (admitted.kind) {
        case 'accepted': {
          const createdAtMs = Date.now();
          const message = newMessage(
            req,
            input.clientMsgId,
            admitted.seq,
            sender,
            input.text,
            new Date(createdAtMs).toISOString(),
            input.replyTo,
            input.attachments,
          );
          return { message: await publish(req, message, false, createdAtMs), duplicate: false };
        }
        case 'uncertain':
          return { message: await publish(req, admitted.message, true), duplicate: false };
        case 'duplicate':
          return {
            message: original(
              req,
              input.clientMsgId,
              admitted.record,
              sender,
              input.text,
              input.replyTo,
              input.attachments,
            ),
            duplicate: true,
          };
        case 'rate-limited':
          throw new AppError('RATE_LIMITED', 'too many messages; slow down', { retryAfterSec: admitted.retryAfterSec });
        case 'in-flight':
          await sleep(IN_FLIGHT_POLL_MS);
          break;
      }
    }
    throw new AppError('UNAVAILABLE', 'an earlier send of this message has not settled; retry');
  }

  /** The resend's answer: the accepted message rebuilt from its record and the resend itself. */
  function original(
    req: SendRequest,
    clientMsgId: string,
    record: SentRecord,
    sender: Sender,
    text: string,
    replyTo: ReplyTo | undefined,
    attachments: Attachment[] | undefined,
  ): Message {
    if (textHash(text) !== record.textHash) {
      throw new AppError('CONFLICT', 'this clientMsgId was already used for a different message in this room');
    }
    const createdAt = new Date(record.createdAtMs).toISOString();
    return newMessage(req, clientMsgId, record.seq, sender, text, createdAt, replyTo, attachments);
  }

  /**
   * Publish and await the confirm. A certain failure frees the clientMsgId for a fresh send;
   * an unknown outcome (now or of the earlier attempt being republished) keeps this exact
   * message for the resend to republish (same seq), so whatever copy the broker kept is the
   * one the sender is finally acked.
   */
  async function publish(
    req: SendRequest,
    message: Message,
    republish: boolean,
    // A new message's time as taken; a republished one's is read back from its JSON.
    createdAtMs = Date.parse(message.createdAt),
  ): Promise<Message> {
    const json = JSON.stringify(message);
    const confirmTimer = metrics.confirmSeconds.startTimer();
    try {
      await deps.publisher.publish(req.roomId, message.id, roomEventBody('message', message, json));
    } catch (err) {
      const settle =
        err instanceof PublishOutcomeUnknown || republish ? admission.markUncertain(req, json) : admission.release(req);
      await settle.catch((e: Error) => log.warn({ err: e.message }, 'settling send claim failed'));
      throw err;
    }
    confirmTimer();
    const { seq } = message;
    // Durable now, so the send stands even if this fails; the buffer is written before the
    // broadcast so that a client joining in between finds the message there. One round trip
    // (buffer, message record, dedupe record), idempotent: on a Redis blip it is retried in
    // the background, so the resync buffer gets no hole and a resend still finds the original.
    const sentRecord = admission.commitRecord(req, { seq, createdAtMs, textHash: textHash(message.text) });
    const record = () => deps.recent.push(message, json, sentRecord);
    await record().catch(() => void recordRetries.track(retryRecord(record, req.roomId, seq)));
    deps.io.to(req.roomId).emit('receiveMessage', message);
    metrics.broadcasts.inc();
    return message;
  }

  async function retryRecord(record: () => Promise<unknown>, roomId: string, seq: number): Promise<void> {
    for (let attempt = 0; attempt < RECORD_RETRIES; attempt++) {
      await sleep(backoffDelay(attempt, 100, 5_000));
      try {
        await record();
        return;
      } catch {
        // Redis still unavailable: try again.
      }
    }
    log.error({ roomId, seq }, 'recording a confirmed message failed; resync falls back to history');
  }

  return {
    async sendMessage(caller: SocketData, payload: unknown) {
      try {
        const { message, duplicate } = await sendFromSocket(caller, payload);
        (duplicate ? duplicateSends : acceptedSends).inc();
        return { ok: true as const, message };
      } catch (err) {
        metrics.sends.inc({ outcome: toAppError(err).code.toLowerCase() });
        throw err;
      }
    },
    send,
    /** Resolves once no background record retry is running, or after `ms` with false. */
    recordsSettled: (ms: number) => recordRetries.idleWithin(ms),
  };
}

/** A message as sent: its id was derived from (room, sender, clientMsgId), never minted. */
function newMessage(
  req: SendRequest,
  clientMsgId: string,
  seq: number,
  sender: Sender,
  text: string,
  createdAt: string,
  replyTo: ReplyTo | undefined,
  attachments?: Attachment[] | undefined,
): Message {
  // One literal, the optional fields added after: spreading them in copied three objects a send.
  const message: Message = {
    id: req.messageId,
    roomId: req.roomId,
    seq,
    version: seq,
    senderId: sender.userId,
    senderName: sender.displayName.slice(0, SENDER_NAME_MAX),
    text,
    clientMsgId,
    createdAt,
  };
  if (replyTo) message.replyTo = replyTo;
  if (attachments?.length) message.attachments = attachments;
  const { mentions } = mentionsOf(text);
  if (mentions) message.mentions = mentions;
  if (sender.system) message.system = true;
  return message;
}
