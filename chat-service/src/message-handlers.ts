import { randomUUID } from 'node:crypto';
import { sendMessagePayloadSchema, type Message } from '@chat/contracts';
import { AppError, backoffDelay, parseOrThrow, sleep, toAppError, type Identity, type Logger } from '@chat/service-kit';
import type { SendAdmission, SendRequest } from './admission.js';
import type { ChatMetrics } from './metrics.js';
import { PublishOutcomeUnknown, type MessagePublisher } from './publisher.js';
import type { RecentBuffer } from './recent-buffer.js';
import { assertRoomAccess } from './room-access.js';
import type { CheckSequence, RecoverSequence } from './sequence-recovery.js';
import type { ChatServer, SocketData } from './socket-types.js';

export interface MessageHandlerDeps {
  io: ChatServer;
  admission: SendAdmission;
  recent: RecentBuffer;
  publisher: MessagePublisher;
  recoverSequence: RecoverSequence;
  /** Before a room's first send after a Redis restart: its counter may have come back older. */
  checkSequence: CheckSequence;
  metrics: ChatMetrics;
  log: Logger;
  isDraining: () => boolean;
  /** Bound on waiting for a concurrent resend of the same clientMsgId to settle. */
  confirmTimeoutMs: number;
}

const IN_FLIGHT_POLL_MS = 20;
/** Background attempts (with backoff, about a minute in all) to record a confirmed message. */
const RECORD_RETRIES = 15;
const SENDER_NAME_MAX = 64;

/**
 * sendMessage (DESIGN.md §4): validate, authorise, admit (dedupe + rate limit + seq in one
 * Redis call), publish and await the confirm, then record, broadcast and ack. Nothing is
 * broadcast for a send the broker did not confirm.
 */
export function createMessageHandlers(deps: MessageHandlerDeps) {
  const { admission, metrics, log } = deps;

  async function send(caller: SocketData, payload: unknown): Promise<{ message: Message; duplicate: boolean }> {
    if (deps.isDraining()) throw new AppError('UNAVAILABLE', 'server shutting down; reconnect and resend');
    const input = parseOrThrow(sendMessagePayloadSchema, payload);
    assertRoomAccess(caller.user.userId, input.roomId);
    const req: SendRequest = {
      userId: caller.user.userId,
      roomId: input.roomId,
      clientMsgId: input.clientMsgId,
      messageId: randomUUID(),
    };
    const deadline = Date.now() + deps.confirmTimeoutMs + 1000;
    while (Date.now() < deadline) {
      // Before every admit: Redis may have restarted during a recovery or an in-flight wait.
      await deps.checkSequence(req.roomId, caller.token);
      const admitted = await admission.admit(req);
      switch (admitted.kind) {
        case 'accepted':
          return { message: await publishAccepted(req, admitted.seq, caller.user, input.text), duplicate: false };
        case 'uncertain':
          return { message: await publish(req, admitted.message, JSON.stringify(admitted.message)), duplicate: false };
        case 'duplicate':
          return { message: admitted.message, duplicate: true };
        case 'rate-limited':
          throw new AppError('RATE_LIMITED', 'too many messages; slow down', { retryAfterSec: admitted.retryAfterSec });
        case 'unseeded':
          await deps.recoverSequence(req.roomId, caller.token);
          break;
        case 'in-flight':
          await sleep(IN_FLIGHT_POLL_MS);
          break;
      }
    }
    throw new AppError('UNAVAILABLE', 'an earlier send of this message has not settled; retry');
  }

  async function publishAccepted(req: SendRequest, seq: number, user: Identity, text: string): Promise<Message> {
    const message: Message = {
      id: req.messageId,
      roomId: req.roomId,
      seq,
      senderId: user.userId,
      senderName: user.displayName.slice(0, SENDER_NAME_MAX),
      text,
      clientMsgId: req.clientMsgId,
      createdAt: new Date().toISOString(),
    };
    return publish(req, message, JSON.stringify(message));
  }

  /**
   * Publish and await the confirm. A certain failure frees the clientMsgId for a fresh send;
   * an unknown outcome keeps this exact message for the resend to republish (same id and seq),
   * so whatever copy the broker kept is the one the sender is finally acked.
   */
  async function publish(req: SendRequest, message: Message, json: string): Promise<Message> {
    const confirmTimer = metrics.confirmSeconds.startTimer();
    try {
      await deps.publisher.publish(req.roomId, message.id, Buffer.from(json));
    } catch (err) {
      const settle =
        err instanceof PublishOutcomeUnknown || req.messageId !== message.id
          ? admission.markUncertain(req, json)
          : admission.release(req);
      await settle.catch((e: Error) => log.warn({ err: e.message }, 'settling send claim failed'));
      throw err;
    }
    confirmTimer();
    const seq = message.seq;
    // Durable now, so the send stands even if these fail; the buffer is written before the
    // broadcast so that a client joining in between finds the message there.
    // Both writes are idempotent: on a Redis blip they are retried in the background, so the
    // resync buffer gets no hole and a resend still finds the original.
    const record = () => Promise.all([admission.commit(req, json), deps.recent.push(req.roomId, seq, json)]);
    await record().catch(() => void retryRecord(record, req.roomId, seq));
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
        const { message, duplicate } = await send(caller, payload);
        metrics.sends.inc({ outcome: duplicate ? 'duplicate' : 'accepted' });
        return { ok: true as const, message };
      } catch (err) {
        metrics.sends.inc({ outcome: toAppError(err).code.toLowerCase() });
        throw err;
      }
    },
  };
}
