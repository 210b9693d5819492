import type { Message, RoomEvent } from '@chat/contracts';
import type { Logger } from '@chat/service-kit';
import type { FileAccess } from './file-access.js';
import type { FileRecords } from './file-records.js';
import type { FileStore } from './file-store.js';
import type { MessageServiceMetrics } from './metrics.js';

export interface FileLifecycleOptions {
  files: FileStore;
  access: FileAccess;
  records: FileRecords;
  metrics: MessageServiceMetrics;
  log: Logger;
  /** Unattached uploads older than this are removed by `sweep`. */
  maxUnattachedAgeMs: number;
}

/** Files looked at per sweep round. */
const SWEEP_BATCH = 100;

/**
 * When an upload stops being a loose file and when it goes away: it is attached once a stored
 * message carries it (`afterStored`, called by the consumer); it is removed when the last
 * message carrying it is deleted, or when no message ever carried it for
 * UNATTACHED_FILE_MAX_AGE_SEC (`sweep`). The attached mark is bookkeeping: before removing
 * anything the messages collection itself is asked, so a mark lost to an outage never costs
 * a file that a message carries.
 */
export class FileLifecycle {
  constructor(private readonly opts: FileLifecycleOptions) {}

  /**
   * After a batch is stored: marks the files its messages carry, and releases the files of
   * deleted messages. Never throws (the batch is stored; its acks must not wait on this):
   * a failure is logged and the sweep catches up.
   */
  async afterStored(events: Pick<RoomEvent, 'type' | 'message'>[]): Promise<void> {
    for (const { type, message } of events) {
      try {
        if (message.attachments?.length) await this.markCarried(message);
        else if (type === 'delete') await this.release(message.id);
      } catch (err) {
        this.opts.log.warn(
          { messageId: message.id, err: (err as Error).message },
          'file bookkeeping failed; the sweep catches up',
        );
      }
    }
  }

  /** One round of the sweep: unattached uploads past their age, in batches. Returns how many were removed. */
  async sweep(now = Date.now()): Promise<number> {
    const olderThan = new Date(now - this.opts.maxUnattachedAgeMs);
    let removed = 0;
    const seen = new Set<string>();
    for (;;) {
      const ids = (await this.opts.files.listUnattached(olderThan, SWEEP_BATCH)).filter((id) => !seen.has(id));
      if (ids.length === 0) return removed;
      for (const id of ids) {
        seen.add(id);
        const carriers = await this.opts.access.carriers(id);
        if (carriers.length > 0) {
          // Carried after all (its mark was lost): mark it now instead.
          for (const m of carriers) await this.opts.files.markAttached(id, m.id);
          continue;
        }
        await this.remove(id, 'unattached');
        removed += 1;
      }
    }
  }

  private async markCarried(message: Message): Promise<void> {
    for (const a of message.attachments ?? []) await this.opts.files.markAttached(a.id, message.id);
  }

  /** The files the deleted message carried, each removed unless another stored message still carries it. */
  private async release(messageId: string): Promise<void> {
    for (const id of await this.opts.files.filesOfMessage(messageId)) {
      if ((await this.opts.access.carriers(id)).length === 0) await this.remove(id, 'deleted');
    }
  }

  private async remove(id: string, reason: 'unattached' | 'deleted'): Promise<void> {
    await this.opts.records.remove(id);
    await this.opts.files.delete(id);
    this.opts.metrics.filesSwept.inc({ reason });
  }
}
