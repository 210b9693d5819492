import { fileRecordSchema, sharedKeys, type Attachment } from '@chat/contracts';
import { AppError } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import { redisUnavailable } from './redis-errors.js';

/** Turns a send's `attachmentIds` into `Message.attachments`. */
export interface AttachmentResolver {
  /** The attachments in the order given; undefined for none. Throws INVALID or FORBIDDEN. */
  resolve(senderId: string, ids: readonly string[] | undefined): Promise<Attachment[] | undefined>;
}

/**
 * Reads each id's FileRecord, written by message-service when the file was uploaded
 * (`sharedKeys.fileRecord`, DESIGN.md §3): a file may be attached only by its uploader, once
 * per message. An id with no record (never uploaded, expired, removed) and one uploaded by
 * someone else are refused alike with FORBIDDEN, so a send cannot probe which ids exist.
 * The count (≤ ATTACHMENTS_MAX) is checked by the payload schema.
 */
export function createRedisAttachmentResolver(redis: Redis, prefix: string): AttachmentResolver {
  const keys = sharedKeys(prefix);
  return {
    async resolve(senderId, ids) {
      if (!ids?.length) return undefined;
      if (new Set(ids).size !== ids.length)
        throw new AppError('INVALID', 'each attachment at most once', { field: 'attachmentIds' });
      const records = await redis.mget(ids.map((id) => keys.fileRecord(id))).catch(redisUnavailable);
      return records.map((json, i) => {
        const record = json === null ? null : fileRecordSchema.safeParse(parseJson(json));
        if (!record?.success || record.data.uploaderId !== senderId || record.data.id !== ids[i])
          throw new AppError('FORBIDDEN', 'attach only files you uploaded', { field: 'attachmentIds' });
        const { id, name, size, contentType } = record.data;
        return { id, name, size, contentType };
      });
    },
  };
}

function parseJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}
