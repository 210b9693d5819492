import { ATTACHMENTS_MAX, attachmentSchema, clientMsgIdSchema, replyToSchema, roomIdSchema } from '@chat/contracts';
import { z } from 'zod';
import { outboxKey, readUserData, writeUserData } from '../session/user-storage.js';
import type { OutgoingMessage } from './timeline.js';

/**
 * Own messages not yet confirmed (pending or failed), kept in localStorage per user so a
 * reload loses none: pending ones are sent again under their own clientMsgId (the server
 * answers a resend with the stored original, so none is doubled), failed ones wait for Retry.
 */
const outgoingSchema = z.object({
  clientMsgId: clientMsgIdSchema,
  roomId: roomIdSchema,
  text: z.string().max(10_000),
  senderId: z.string(),
  senderName: z.string(),
  createdAt: z.string(),
  status: z.enum(['pending', 'failed']),
  error: z.string().optional(),
  /** A reply keeps its quote (and its `replyToId`) across a reload. */
  replyTo: replyToSchema.optional(),
  /** Its uploaded files, so a resend after a reload carries them again. */
  attachments: z.array(attachmentSchema).max(ATTACHMENTS_MAX).optional(),
});
/** A bound on what a reload brings back (and on what a tampered entry can make the app do). */
const MAX_KEPT = 500;
const storedSchema = z.array(outgoingSchema).max(MAX_KEPT);

export function loadOutbox(userId: string, storage?: Storage): OutgoingMessage[] {
  return readUserData(outboxKey(userId), storedSchema, [], storage).filter((o) => o.senderId === userId);
}

export function saveOutbox(userId: string, outbox: OutgoingMessage[], storage?: Storage): void {
  writeUserData(outboxKey(userId), outbox.slice(-MAX_KEPT), storage);
}
