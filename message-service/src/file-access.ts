import { canAccessRoom } from '@chat/contracts';
import { forEachInFlight, WRITES_IN_FLIGHT, type Logger } from '@chat/service-kit';
import type { Connection, Model } from 'mongoose';
import type { StoredFile } from './file-store.js';
import { ATTACHMENTS_ID_INDEX, messageModel, type MessageDoc } from './message-model.js';
import { markMigrated, migrated } from './migrations.js';

/** Carrying messages looked at per check: a file is attached to a handful of messages at most. */
const CARRIERS_CHECKED = 100;

export const ATTACHMENT_IDS_MIGRATION = 'message-attachment-ids';

type Carrier = { id: string; roomId: string };

/**
 * Who may read which file, and which stored messages carry one: `find({attachmentIds})`,
 * indexed (message-model.ts), pushed down to PostgreSQL and served by its GIN twin on FerretDB.
 * Until the backfill below has given every older message its `attachmentIds`, a lookup that
 * finds nothing asks `attachments.id` too (a full read on FerretDB, once per miss).
 */
export class FileAccess {
  private readonly messages: Model<MessageDoc>;
  private backfilled = false;

  constructor(private readonly conn: Connection) {
    this.messages = messageModel(conn);
  }

  /**
   * The uploader, or anyone who may read a room where a stored message carries the file.
   * Room access is canAccessRoom, the same rule history reads follow (dm rooms: their two
   * members; public rooms: every signed-in user, member or not, as DESIGN.md §3 opens them).
   */
  async mayRead(userId: string, file: StoredFile): Promise<boolean> {
    if (file.uploaderId === userId) return true;
    const carriers = await this.carriers(file.id);
    return carriers.some((m) => canAccessRoom(userId, m.roomId));
  }

  /** Stored messages that carry the file now (a deleted message carries nothing). */
  async carriers(fileId: string): Promise<Carrier[]> {
    const found = await this.find({ attachmentIds: fileId });
    if (found.length > 0 || (await this.complete())) return found;
    return this.find({ 'attachments.id': fileId });
  }

  /**
   * Gives every message stored before `attachmentIds` existed its copy, then records the
   * migration as done. Reads the whole collection once (one unsorted cursor); run again after an
   * interruption, it picks up where the data is. The write matches the attachments it read, so
   * a message deleted or changed meanwhile (rewritten whole, with its own copy) is left alone.
   * A message written by an older message-service still running would lack the copy: stop
   * those before upgrading, as for seq blocks (docs/history-pages.md).
   */
  async backfill(log: Logger): Promise<void> {
    if (!(await this.complete())) await this.copyAttachmentIds(log);
    await this.dropOldIndex();
  }

  private async copyAttachmentIds(log: Logger): Promise<void> {
    let updated = 0;
    const cursor = this.messages
      .find({}, { _id: 1, attachments: 1, attachmentIds: 1 })
      .lean<Pick<MessageDoc, '_id' | 'attachments' | 'attachmentIds'>[]>()
      .cursor({ batchSize: 1000 });
    let pending: Pick<MessageDoc, '_id' | 'attachments'>[] = [];
    const flush = async () => {
      await forEachInFlight(pending, WRITES_IN_FLIGHT, async ({ _id, attachments }) => {
        const attachmentIds = attachments!.map((a) => a.id);
        // The driver's own updateOne: mongoose would cast the filter to the schema (reordering
        // and dropping attachment fields), and a stored array that differs would never match.
        await this.messages.collection.updateOne({ _id: _id as never, attachments }, { $set: { attachmentIds } });
      });
      updated += pending.length;
      pending = [];
    };
    for await (const doc of cursor) {
      if (doc.attachments?.length && !doc.attachmentIds) pending.push(doc);
      if (pending.length >= 1000) await flush();
    }
    await flush();
    await markMigrated(this.conn, ATTACHMENT_IDS_MIGRATION);
    this.backfilled = true;
    log.info({ updated }, 'attachment ids backfilled: file checks read by index');
  }

  /** The `attachments.id` index served the fallback until the backfill was recorded; then it goes. */
  private async dropOldIndex(): Promise<void> {
    const indexes = await this.messages.collection.indexes();
    if (indexes.some((index) => index.name === ATTACHMENTS_ID_INDEX))
      await this.messages.collection.dropIndex(ATTACHMENTS_ID_INDEX);
  }

  /** Whether every stored message has its `attachmentIds` (remembered once true). */
  private async complete(): Promise<boolean> {
    this.backfilled ||= await migrated(this.conn, ATTACHMENT_IDS_MIGRATION);
    return this.backfilled;
  }

  private find(filter: Record<string, string>): Promise<Carrier[]> {
    return this.messages.find(filter, { _id: 0, id: 1, roomId: 1 }).limit(CARRIERS_CHECKED).lean<Carrier[]>().exec();
  }
}
