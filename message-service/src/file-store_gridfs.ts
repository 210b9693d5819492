import type { Readable, Writable } from 'node:stream';
import mongoose, { type Connection, type mongo } from 'mongoose';
import { newFileId, type ByteRange, type FileStore, type NewFile, type StoredFile } from './file-store.js';

export const FILES_BUCKET = 'uploads';

/** GridFS keeps our description in the files document's `metadata`. */
interface UploadMetadata {
  uploaderId: string;
  contentType: string;
  attached: boolean;
  messageIds: string[];
}

interface FilesDoc {
  _id: string;
  length: number;
  uploadDate: Date;
  filename: string;
  metadata: UploadMetadata;
}

/**
 * GridFS through the driver's GridFSBucket on mongoose's connection (bucket `uploads`: the
 * collections `uploads.files` and `uploads.chunks`, 255 KiB chunks). Proven on FerretDB in
 * test/file-store.test.ts: a 20 MiB round trip byte-exact, and range reads.
 */
export function createGridFsFileStore(conn: Connection): FileStore {
  const db = conn.db!;
  // The driver's own GridFS, as mongoose bundles it (no second copy of the driver).
  const bucket = new mongoose.mongo.GridFSBucket(db, { bucketName: FILES_BUCKET });
  const files: mongo.Collection<FilesDoc> = db.collection<FilesDoc>(`${FILES_BUCKET}.files`);
  const chunks = db.collection(`${FILES_BUCKET}.chunks`);

  return {
    async put(file: NewFile, source: Readable): Promise<StoredFile> {
      const id = newFileId();
      const metadata: UploadMetadata = {
        uploaderId: file.uploaderId,
        contentType: file.contentType,
        attached: false,
        messageIds: [],
      };
      // String ids (fileIdSchema) rather than ObjectIds: GridFS takes any _id; the typings say ObjectId.
      const upload = bucket.openUploadStreamWithId(id as unknown as mongo.ObjectId, file.name, { metadata });
      try {
        await writeAll(source, upload);
      } catch (err) {
        source.destroy();
        await Promise.all([files.deleteOne({ _id: id }), chunks.deleteMany({ files_id: id })]).catch(() => undefined);
        throw err;
      }
      return { ...file, id, size: upload.length, uploadedAt: new Date(), messageIds: [] };
    },
    openRead(id: string, range?: ByteRange): Readable {
      // GridFS's end is exclusive.
      return bucket.openDownloadStream(
        id as unknown as mongo.ObjectId,
        range ? { start: range.start, end: range.end + 1 } : {},
      );
    },
    async stat(id: string): Promise<StoredFile | null> {
      const doc = await files.findOne({ _id: id });
      return doc ? toStoredFile(doc) : null;
    },
    async delete(id: string): Promise<void> {
      // Description first: a file half deleted is then already gone for readers.
      await files.deleteOne({ _id: id });
      await chunks.deleteMany({ files_id: id });
    },
    async markAttached(id: string, messageId: string): Promise<void> {
      await files.updateOne(
        { _id: id },
        { $set: { 'metadata.attached': true }, $addToSet: { 'metadata.messageIds': messageId } },
      );
    },
    async filesOfMessage(messageId: string): Promise<string[]> {
      const docs = await files.find({ 'metadata.messageIds': messageId }, { projection: { _id: 1 } }).toArray();
      return docs.map((d) => d._id);
    },
    async listUnattached(olderThan: Date, limit: number): Promise<string[]> {
      // Equality on the flag (indexed on FerretDB by its GIN index), the date checked on those few.
      const docs = await files
        .find({ 'metadata.attached': false, uploadDate: { $lt: olderThan } }, { projection: { _id: 1 } })
        .limit(limit)
        .toArray();
      return docs.map((d) => d._id);
    },
  };
}

function toStoredFile(doc: FilesDoc): StoredFile {
  return {
    id: doc._id,
    name: doc.filename,
    size: doc.length,
    contentType: doc.metadata.contentType,
    uploaderId: doc.metadata.uploaderId,
    uploadedAt: doc.uploadDate,
    messageIds: doc.metadata.messageIds,
  };
}

/**
 * Pipes `source` into the upload. When the source fails, the upload is ended rather than
 * destroyed: a destroyed upload may still have a chunk insert in flight, which would land
 * after the cleanup; an ended one has written everything (and its files document) when it
 * finishes, so the caller's delete removes all of it. Rejects with the source's error.
 */
function writeAll(source: Readable, upload: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: unknown = null;
    source.once('error', (err) => {
      failure = err;
      source.unpipe(upload);
      upload.end();
    });
    upload.once('finish', () => (failure === null ? resolve() : reject(failure)));
    upload.once('error', reject);
    source.pipe(upload);
  });
}
