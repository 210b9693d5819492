import { sharedKeys, type FileRecord } from '@chat/contracts';
import type { Redis } from 'ioredis';

/**
 * Each upload's FileRecord in Redis (`sharedKeys.fileRecord`), for chat-service to check that
 * `attachmentIds` were uploaded by their sender without asking MongoDB. The record expires
 * after FILE_RECORD_TTL_SEC; the file itself is described durably in the store.
 */
export class FileRecords {
  private readonly keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlSec: number,
  ) {
    this.keys = sharedKeys(prefix);
  }

  async write(record: FileRecord): Promise<void> {
    await this.redis.set(this.keys.fileRecord(record.id), JSON.stringify(record), 'EX', this.ttlSec);
  }

  /** Once the file is gone, nothing may attach it any more. */
  async remove(fileId: string): Promise<void> {
    await this.redis.del(this.keys.fileRecord(fileId));
  }
}
