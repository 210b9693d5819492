import { createHash, timingSafeEqual } from 'node:crypto';
import {
  INTERNAL_NOTIFY_PATH,
  INTERNAL_PUBLISH_PATH,
  internalNotifyBodySchema,
  internalPublishBodySchema,
  type InternalPublishResponse,
} from '@chat/contracts';
import { AppError, parseOrThrow } from '@chat/service-kit';
import { Router, type RequestHandler } from 'express';
import type { MessageHandlers } from '../rooms/message-handlers.js';
import type { ChatServer } from '../socket/socket-types.js';
import { userRoom } from '../socket/user-room.js';

/**
 * The sender of every system message: a fixed id no account can have (account ids are
 * MongoDB ObjectIds, which start with their creation time). With the idempotency key it
 * names the message, so a repeated key is the same send (message-identity.ts).
 */
export const SYSTEM_SENDER_ID = '000000000000000000000000';

export interface InternalApiDeps {
  token: string;
  /** Read on each request: the socket server is built after the HTTP app. */
  io: () => ChatServer;
  messages: () => MessageHandlers;
  publishRatePerMinute: number;
}

/**
 * POST /internal/publish and /internal/notify (DESIGN.md §3.6), for other backends on the
 * private network; mounted only when INTERNAL_API_TOKEN is set (else 404, like any unknown
 * path). A publish goes through the one send path: seq, confirm, record, broadcast.
 */
export function internalApiRouter(deps: InternalApiDeps): Router {
  const router = Router();
  router.use('/internal', bearerAuth(deps.token));
  router.post(INTERNAL_PUBLISH_PATH, async (req, res) => {
    const body = parseOrThrow(internalPublishBodySchema, req.body, 'body');
    const input = { roomId: body.roomId, clientMsgId: clientMsgIdFor(body.idempotencyKey), text: body.text };
    const sender = { userId: SYSTEM_SENDER_ID, displayName: body.senderName, system: true as const };
    const { message } = await deps.messages().send(sender, input, deps.publishRatePerMinute);
    res.json({ message } satisfies InternalPublishResponse);
  });
  router.post(INTERNAL_NOTIFY_PATH, (req, res) => {
    const { userId, event, data } = parseOrThrow(internalNotifyBodySchema, req.body, 'body');
    // Volatile: a socket that cannot take it now (or a user with none) just misses it.
    deps.io().to(userRoom(userId)).volatile.emit('internalNotify', { event, data });
    res.json({ ok: true });
  });
  return router;
}

/**
 * The idempotency key as a clientMsgId: a digest, so any key (up to 256 characters) fits the
 * clientMsgId pattern and the same key always names the same message.
 */
function clientMsgIdFor(idempotencyKey: string): string {
  return `sys-${createHash('sha256').update(idempotencyKey).digest('base64url')}`;
}

/** `Authorization: Bearer <token>`, compared in constant time (digests of equal length). */
function bearerAuth(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      return next(new AppError('UNAUTHORIZED', 'missing or wrong internal API token'));
    }
    next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
