import {
  deleteMessagePayloadSchema,
  editMessagePayloadSchema,
  reactPayloadSchema,
  type Message,
  type RoomEventType,
} from '@chat/contracts';
import { AppError, backoffDelay, parseOrThrow, sleep, toAppError, type Logger } from '@chat/service-kit';
import type { SendAdmission } from '../adapters/admission.js';
import type { ChatKeys } from '../adapters/keys.js';
import { assertSender, deleted, edited, reacted } from './message-changes.js';
import { messageIdFor } from './message-identity.js';
import type { MessageLock } from '../adapters/message-lock_redis.js';
import type { MessageStates } from './message-states.js';
import type { ChatMetrics } from '../metrics.js';
import type { MessagePublisher } from '../adapters/publisher.js';
import type { RecentBuffer } from '../adapters/recent-buffer.js';
import { assertRoomAccess } from './room-access.js';
import { roomEventBody } from './room-event-body.js';
import type { ChatServer, SocketData } from '../socket/socket-types.js';

export interface RoomEventDeps {
  io: ChatServer;
  keys: ChatKeys;
  admission: SendAdmission;
  recent: RecentBuffer;
  states: MessageStates;
  lock: MessageLock;
  publisher: MessagePublisher;
  metrics: ChatMetrics;
  log: Logger;
  isDraining: () => boolean;
}

/** Attempts (with backoff, a few seconds, under the message's lock) to record a confirmed change in Redis. */
const RECORD_ATTEMPTS = 5;

interface Target {
  roomId: string;
  messageId: string;
  clientMsgId?: string | undefined;
}

/**
 * editMessage, deleteMessage, react (DESIGN.md §3.2, §4): validated, authorised, and then,
 * under the message's lock (one change of a message at a time across nodes): the current
 * state is read (recent buffer, else message-service), changed, given the room's next seq
 * as its version (counted in the sender's send budget), published with a confirm as the
 * full new state, recorded in the buffers, and only then broadcast as `messageUpdated` and
 * acked. A change that changes nothing (a reaction already there) answers the current state
 * and takes no seq. With a `clientMsgId`, a resend answers the first result and applies once.
 */
export function createRoomEventHandlers(deps: RoomEventDeps) {
  const { admission, recent, metrics, log } = deps;

  async function change(
    caller: SocketData,
    target: Target,
    type: RoomEventType,
    transition: (current: Message) => Message | null,
  ): Promise<{ ok: true; message: Message }> {
    if (deps.isDraining()) throw new AppError('UNAVAILABLE', 'server shutting down; reconnect and resend');
    const { userId } = caller.user;
    assertRoomAccess(userId, target.roomId);
    // Derived like a message id, in a name space of its own (':' never occurs in a clientMsgId).
    const eventKey =
      target.clientMsgId === undefined
        ? undefined
        : deps.keys.roomEvent(messageIdFor(target.roomId, userId, `event:${target.clientMsgId}`));
    try {
      const message = await deps.lock.withLock(target.roomId, target.messageId, async () => {
        if (eventKey !== undefined) {
          const done = await recent.eventResult(eventKey);
          if (done !== null) return resent(done, target.messageId);
        }
        const current = await deps.states.current(target.roomId, target.messageId, caller.token);
        const next = transition(current);
        if (next === null) return current;
        const admitted = await admission.admitEvent(userId, target.roomId);
        if (admitted.kind === 'rate-limited') {
          throw new AppError('RATE_LIMITED', 'too many messages; slow down', { retryAfterSec: admitted.retryAfterSec });
        }
        const changed: Message = { ...next, version: admitted.seq };
        const confirmTimer = metrics.confirmSeconds.startTimer();
        await deps.publisher.publish(target.roomId, `${changed.id}:${changed.version}`, roomEventBody(type, changed));
        confirmTimer();
        await record(changed, current.version, eventKey);
        // Still under the lock: broadcasts of one message's changes leave in version order.
        deps.io.to(target.roomId).emit('messageUpdated', changed);
        metrics.broadcasts.inc();
        return changed;
      });
      metrics.sends.inc({ outcome: type });
      return { ok: true, message };
    } catch (err) {
      metrics.sends.inc({ outcome: toAppError(err).code.toLowerCase() });
      throw err;
    }
  }

  /**
   * Durable now, so the change stands even if this fails; retried while the lock is held,
   * since the next change of this message reads its state from here.
   */
  async function record(message: Message, previousVersion: number, eventKey: string | undefined): Promise<void> {
    const json = JSON.stringify(message);
    for (let attempt = 0; ; attempt++) {
      try {
        await recent.applyChange(message, json, previousVersion, eventKey);
        return;
      } catch (err) {
        if (attempt + 1 >= RECORD_ATTEMPTS) {
          log.error(
            { err: (err as Error).message, roomId: message.roomId, id: message.id, version: message.version },
            'recording a confirmed change failed; resync falls back to history',
          );
          return;
        }
        await sleep(backoffDelay(attempt, 100, 2_000));
      }
    }
  }

  const now = () => new Date().toISOString();

  return {
    async editMessage(caller: SocketData, payload: unknown) {
      const input = parseOrThrow(editMessagePayloadSchema, payload);
      return change(caller, input, 'edit', (current) => {
        assertSender(current, caller.user.userId);
        return edited(current, input.text, now());
      });
    },
    async deleteMessage(caller: SocketData, payload: unknown) {
      const input = parseOrThrow(deleteMessagePayloadSchema, payload);
      return change(caller, input, 'delete', (current) => {
        assertSender(current, caller.user.userId);
        return deleted(current, now());
      });
    },
    async react(caller: SocketData, payload: unknown) {
      const input = parseOrThrow(reactPayloadSchema, payload);
      return change(caller, input, 'reaction', (current) =>
        reacted(current, caller.user.userId, input.emoji, input.add),
      );
    },
  };
}

/** A resend's answer: the first result, unless the clientMsgId was used for another message. */
function resent(done: Message, messageId: string): Message {
  if (done.id !== messageId) {
    throw new AppError('CONFLICT', 'this clientMsgId was already used for a change of another message');
  }
  return done;
}
