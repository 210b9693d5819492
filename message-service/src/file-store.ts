import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

/** What the uploader tells us, already sanitised and sniffed (upload-routes.ts). */
export interface NewFile {
  name: string;
  contentType: string;
  uploaderId: string;
}

/** A stored file's description, kept with the bytes (GridFS: the files document's metadata). */
export interface StoredFile extends NewFile {
  id: string;
  size: number;
  uploadedAt: Date;
  /** Messages recorded as carrying it (set by the consumer's write path); empty while unattached. */
  messageIds: string[];
}

/** Bytes `start` to `end`, both inclusive (as HTTP ranges count). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where uploads live. GridFS on the service's MongoDB connection (file-store_gridfs.ts) in
 * production, an in-memory twin in test support (test/support/file-store_memory.ts); both pass the same test
 * suite (test/file-store.test.ts). Another backend (an S3-compatible bucket) is a third
 * implementation chosen in app.ts: README.md, "Files".
 */
export interface FileStore {
  /**
   * Streams `source` into a new file. When `source` fails (too large, client gone) the call
   * rejects with its error and no part of the file is left behind.
   */
  put(file: NewFile, source: Readable): Promise<StoredFile>;
  /** The bytes, or the range of them; call after `stat` found the file. */
  openRead(id: string, range?: ByteRange): Readable;
  stat(id: string): Promise<StoredFile | null>;
  /** Removes the bytes and the description; a missing file is no error. */
  delete(id: string): Promise<void>;
  /** Records that a stored message carries the file. */
  markAttached(id: string, messageId: string): Promise<void>;
  /** The files recorded as carried by this message. */
  filesOfMessage(messageId: string): Promise<string[]>;
  /** Ids of files no message was ever recorded as carrying, uploaded before `olderThan`; at most `limit`. */
  listUnattached(olderThan: Date, limit: number): Promise<string[]>;
}

/** A new file id: 128 random bits, URL- and key-safe (fileIdSchema). */
export const newFileId = (): string => randomBytes(16).toString('base64url');
