import { Readable } from 'node:stream';
import { newFileId, type ByteRange, type FileStore, type NewFile, type StoredFile } from '../../src/file-store.js';

/** The in-memory twin of the GridFS store (same test suite): for tests and a single process only. */
export function createMemoryFileStore(): FileStore {
  const stored = new Map<string, { file: StoredFile; bytes: Buffer }>();
  return {
    async put(file: NewFile, source: Readable): Promise<StoredFile> {
      const parts: Buffer[] = [];
      for await (const chunk of source) parts.push(chunk as Buffer);
      const bytes = Buffer.concat(parts);
      const id = newFileId();
      const entry = { file: { ...file, id, size: bytes.length, uploadedAt: new Date(), messageIds: [] }, bytes };
      stored.set(id, entry);
      return { ...entry.file };
    },
    openRead(id: string, range?: ByteRange): Readable {
      const entry = stored.get(id);
      if (!entry)
        return new Readable({
          read() {
            this.destroy(new Error(`file ${id} not found`));
          },
        });
      return Readable.from([range ? entry.bytes.subarray(range.start, range.end + 1) : entry.bytes]);
    },
    async stat(id: string): Promise<StoredFile | null> {
      const entry = stored.get(id);
      return entry ? { ...entry.file, messageIds: [...entry.file.messageIds] } : null;
    },
    async delete(id: string): Promise<void> {
      stored.delete(id);
    },
    async markAttached(id: string, messageId: string): Promise<void> {
      const file = stored.get(id)?.file;
      if (file && !file.messageIds.includes(messageId)) file.messageIds.push(messageId);
    },
    async filesOfMessage(messageId: string): Promise<string[]> {
      return [...stored.values()].filter((e) => e.file.messageIds.includes(messageId)).map((e) => e.file.id);
    },
    async listUnattached(olderThan: Date, limit: number): Promise<string[]> {
      return [...stored.values()]
        .filter((e) => e.file.messageIds.length === 0 && e.file.uploadedAt < olderThan)
        .slice(0, limit)
        .map((e) => e.file.id);
    },
  };
}
