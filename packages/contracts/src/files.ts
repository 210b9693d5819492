import { z } from 'zod';
import { userIdSchema } from './ids.js';
import { attachmentSchema } from './message.js';

/** Default `MAX_UPLOAD_BYTES` (DESIGN.md §2 `POST /files`). */
export const MAX_UPLOAD_BYTES_DEFAULT = 25 * 1024 * 1024;
/**
 * Room for the multipart framing around the file (boundaries, part headers) in a request's
 * length: a body declaring more than MAX_UPLOAD_BYTES plus this is refused before it is read.
 */
export const UPLOAD_MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** The multipart part that carries the file. */
export const UPLOAD_FIELD = 'file';
/** File ids: URL- and Redis-key-safe. */
export const fileIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a file id');

/** `201 {file}` of `POST /files`; the same shape a message carries in `attachments`. */
export const uploadResponseSchema = z.object({ file: attachmentSchema });
export type UploadResponse = z.infer<typeof uploadResponseSchema>;

/**
 * What message-service records in Redis for each upload (key {@link sharedKeys}.fileRecord),
 * so chat-service (Redis and RabbitMQ only) can check that `attachmentIds` were uploaded by the
 * sender and fill `Message.attachments` without asking MongoDB.
 */
export const fileRecordSchema = attachmentSchema.extend({ uploaderId: userIdSchema });
export type FileRecord = z.infer<typeof fileRecordSchema>;
