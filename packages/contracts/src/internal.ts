import { z } from 'zod';
import { displayNameSchema, messageTextSchema, roomIdSchema, userIdSchema } from './ids.js';
import { internalNotifySchema } from './calls.js';
import { messageSchema } from './message.js';

/** chat-service's internal API for other backends (DESIGN.md §3.6), bearer INTERNAL_API_TOKEN. */
export const INTERNAL_PUBLISH_PATH = '/internal/publish';
export const INTERNAL_NOTIFY_PATH = '/internal/notify';
/** Largest request body of the internal API (body-parser syntax); larger ones get 413. */
export const INTERNAL_BODY_MAX_BYTES = '64kb';

export const internalPublishBodySchema = z.strictObject({
  roomId: roomIdSchema,
  text: messageTextSchema,
  senderName: displayNameSchema,
  /** The same key twice stores and broadcasts once and answers the same message. */
  idempotencyKey: z.string().min(1).max(256),
});
export type InternalPublishBody = z.infer<typeof internalPublishBodySchema>;

export const internalPublishResponseSchema = z.object({ message: messageSchema });
export type InternalPublishResponse = z.infer<typeof internalPublishResponseSchema>;

export const internalNotifyBodySchema = z.strictObject({
  userId: userIdSchema,
  event: internalNotifySchema.shape.event,
  data: internalNotifySchema.shape.data,
});
export type InternalNotifyBody = z.infer<typeof internalNotifyBodySchema>;
