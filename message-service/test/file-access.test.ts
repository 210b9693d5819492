import { randomUUID } from 'node:crypto';
import type { Message } from '@chat/contracts';
import { connectMongo } from '@chat/service-kit';
import { filtersSent, readsWholeCollection, useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACHMENT_IDS_MIGRATION, FileAccess } from '../src/file-access.js';
import { messageModel } from '../src/message-model.js';
import { createMongoMessageStore, toDoc, type MessageStore } from '../src/message-store.js';
import { MIGRATION_COLLECTION } from '../src/migrations.js';
import { asEvents, log, makeMessage, startService, type RunningService } from './helpers.js';

// On the real database (FerretDB here): a file check must be a query the database serves from
// an index. FerretDB 1.x pushes no dotted path down, so `{'attachments.id'}` read every message.

const iso = useIsolation('ms-file-access');
let service: RunningService;
let store: MessageStore;
let seq = 0;

beforeAll(async () => {
  service = await startService(iso(), { consume: false });
  store = createMongoMessageStore(service.mongo);
  await store.ensureIndexes();
});
afterAll(async () => {
  await service?.close();
});

const attachment = (name: string) => ({ id: randomUUID(), name, size: 3, contentType: 'text/plain' });

async function stored(roomId: string, attachments: Message['attachments']): Promise<Message> {
  seq += 1;
  const message = makeMessage({ roomId, seq, attachments });
  await store.writeBatch(asEvents([message]));
  return message;
}

describe('file access: which stored messages carry a file', () => {
  it('asks by a filter the database serves from an index (pushed down to PostgreSQL on FerretDB)', async () => {
    const file = attachment('a.txt');
    const message = await stored('fa-room', [attachment('other.txt'), file]);
    const access = new FileAccess(service.mongo);
    await access.backfill(log);

    const filters = await filtersSent(service.mongo, 'messages', async () => {
      expect(await access.carriers(file.id)).toEqual([{ id: message.id, roomId: 'fa-room' }]);
    });
    expect(filters).toHaveLength(1);
    expect(await readsWholeCollection(service.mongo, 'messages', filters[0]!)).toBe(false);
  });

  it('finds nothing for a deleted message, which carries nothing', async () => {
    const file = attachment('gone.txt');
    const message = await stored('fa-room', [file]);
    const access = new FileAccess(service.mongo);
    expect(await access.carriers(file.id)).toHaveLength(1);
    const { attachments: _gone, ...rest } = message;
    seq += 1;
    await store.writeBatch([
      { type: 'delete', message: { ...rest, text: '', version: seq, deletedAt: new Date().toISOString() } },
    ]);
    expect(await access.carriers(file.id)).toEqual([]);
  });

  it('backfills messages stored before the copy; until then a miss asks the old way', async () => {
    const file = attachment('legacy.txt');
    seq += 1;
    // Stored with its fields in another order than the schema's: the backfill must still match it.
    const { id, ...rest } = file;
    const legacy = makeMessage({ roomId: 'fa-legacy', seq, attachments: [{ ...rest, id }] });
    const { attachmentIds: _, ...withoutCopy } = toDoc(legacy);
    const model = messageModel(service.mongo);
    await model.collection.insertOne(withoutCopy as never);
    const without = await stored('fa-legacy', undefined);
    await service.mongo.db!.collection(MIGRATION_COLLECTION).deleteOne({ _id: ATTACHMENT_IDS_MIGRATION as never });
    await model.collection.createIndex({ 'attachments.id': 1 }); // what serves the fallback meanwhile

    // A process started on this database (its own connection): not migrated yet.
    const conn = await connectMongo({ url: iso().mongoUrl, dbName: service.mongo.name, appName: 'fresh', log });
    try {
      const fresh = new FileAccess(conn);
      expect(await fresh.carriers(file.id)).toEqual([{ id: legacy.id, roomId: 'fa-legacy' }]);
      await fresh.backfill(log);

      expect((await model.findById(legacy.id).lean())?.attachmentIds).toEqual([file.id]);
      expect((await model.collection.indexes()).map((index) => index.name)).not.toContain('attachments.id_1');
      expect((await model.findById(without.id).lean())?.attachmentIds).toBeUndefined();
      expect(
        await service.mongo
          .db!.collection(MIGRATION_COLLECTION)
          .countDocuments({ _id: ATTACHMENT_IDS_MIGRATION as never }),
      ).toBe(1);
      // Migrated: a miss is a miss, one query, not a read of everything.
      const filters = await filtersSent(service.mongo, 'messages', async () =>
        expect(await new FileAccess(service.mongo).carriers('none')).toEqual([]),
      );
      expect(filters).toEqual([{ attachmentIds: 'none' }]);
      expect(await fresh.carriers(file.id)).toEqual([{ id: legacy.id, roomId: 'fa-legacy' }]);
    } finally {
      await conn.close();
    }
  });
});
