import { z } from 'zod';
import { clientMsgIdSchema, messageTextSchema, roomIdSchema, seqSchema, userIdSchema } from './ids.js';

/** A chat message as broadcast, acked, queued and stored (DESIGN.md §3). */
export const messageSchema = z.object({
  id: z.string().min(1).max(64),
  roomId: roomIdSchema,
  seq: seqSchema,
  senderId: userIdSchema,
  senderName: z.string().min(1).max(64),
  text: messageTextSchema,
  clientMsgId: clientMsgIdSchema,
  /** ISO-8601 timestamp set by chat-service. */
  createdAt: z.iso.datetime(),
  /** Set on messages from the internal publish API (DESIGN.md §3.6); absent on users' messages. */
  system: z.literal(true).optional(),
});
export type Message = z.infer<typeof messageSchema>;
