import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { connectMongo } from '@chat/service-kit';
import { useIsolation } from '@chat/testing';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileStore } from '../src/file-store.js';
import { createGridFsFileStore } from '../src/file-store_gridfs.js';
import { createMemoryFileStore } from './support/file-store_memory.js';
import { log } from './helpers.js';

/** One suite, run against GridFS on the shared MongoDB (FerretDB here) and against the in-memory twin. */

const iso = useIsolation('ms-file-store');
let mongo: Connection;

beforeAll(async () => {
  mongo = await connectMongo({ url: iso().mongoUrl, dbName: iso().mongoDbName, appName: 'file-store-test', log });
});
afterAll(async () => {
  await mongo?.close();
});

const MiB = 1024 * 1024;
const file = (uploaderId = 'u1') => ({ name: 'a.bin', contentType: 'application/octet-stream', uploaderId });

/** `size` pseudo-random bytes in 64 KiB chunks, generated as read (never all in memory at once on the way in). */
function randomSource(size: number, seed: Buffer): Readable {
  let sent = 0;
  let counter = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(64 * 1024, size - sent);
      const block = Buffer.alloc(n);
      for (let off = 0; off < n; off += 32) {
        createHash('sha256').update(seed).update(String(counter++)).digest().copy(block, off);
      }
      sent += n;
      this.push(block);
    },
  });
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function expected(size: number, seed: Buffer): Promise<Buffer> {
  return collect(randomSource(size, seed));
}

describe.each([
  ['gridfs', () => createGridFsFileStore(mongo)],
  ['memory', () => createMemoryFileStore()],
] as const)('FileStore (%s)', (_name, make: () => FileStore) => {
  let store: FileStore;
  beforeAll(() => {
    store = make();
  });

  it('round-trips 20 MiB byte-exact and reads ranges of it', async () => {
    const seed = randomBytes(8);
    const size = 20 * MiB + 12_345;
    const stored = await store.put(file(), randomSource(size, seed));
    expect(stored).toMatchObject({ size, name: 'a.bin', uploaderId: 'u1', messageIds: [] });
    expect(stored.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const want = await expected(size, seed);
    const got = await collect(store.openRead(stored.id));
    expect(got.length).toBe(size);
    expect(got.equals(want)).toBe(true);
    // Across a chunk boundary (GridFS chunks are 255 KiB), the first byte, the last byte.
    for (const [start, end] of [
      [255 * 1024 - 10, 255 * 1024 + 9],
      [0, 0],
      [size - 1, size - 1],
      [5 * MiB + 3, 9 * MiB + 7],
    ] as const) {
      const part = await collect(store.openRead(stored.id, { start, end }));
      expect(part.equals(want.subarray(start, end + 1))).toBe(true);
    }
  }, 120_000);

  it('stats, marks attached, finds by message and deletes', async () => {
    const a = await store.put(file('alice'), Readable.from([Buffer.from('hello')]));
    expect(await store.stat(a.id)).toMatchObject({ id: a.id, size: 5, uploaderId: 'alice', messageIds: [] });
    await store.markAttached(a.id, 'm1');
    await store.markAttached(a.id, 'm1');
    await store.markAttached(a.id, 'm2');
    expect((await store.stat(a.id))?.messageIds).toEqual(['m1', 'm2']);
    expect(await store.filesOfMessage('m2')).toEqual([a.id]);
    expect(await store.filesOfMessage('m3')).toEqual([]);
    await store.delete(a.id);
    expect(await store.stat(a.id)).toBeNull();
    expect(await store.filesOfMessage('m1')).toEqual([]);
    await store.delete(a.id);
  });

  it('lists unattached files older than a date only', async () => {
    const old = await store.put(file(), Readable.from([Buffer.from('old')]));
    const attached = await store.put(file(), Readable.from([Buffer.from('kept')]));
    await store.markAttached(attached.id, 'm9');
    await new Promise((r) => setTimeout(r, 20));
    const cutoff = new Date();
    const fresh = await store.put(file(), Readable.from([Buffer.from('new')]));
    const listed = await store.listUnattached(cutoff, 1000);
    expect(listed).toContain(old.id);
    expect(listed).not.toContain(attached.id);
    expect(listed).not.toContain(fresh.id);
    expect(await store.listUnattached(cutoff, 1)).toHaveLength(1);
  });

  it('leaves nothing behind when the source fails midway', async () => {
    let sent = 0;
    const failing = new Readable({
      read() {
        sent += 1;
        if (sent > 8) return void this.destroy(new Error('client gone'));
        this.push(randomBytes(128 * 1024));
      },
    });
    const before = await store.listUnattached(new Date(Date.now() + 60_000), 10_000);
    await expect(store.put(file('quitter'), failing)).rejects.toThrow('client gone');
    const after = await store.listUnattached(new Date(Date.now() + 60_000), 10_000);
    expect(after).toEqual(before);
    if (_name === 'gridfs')
      expect(await mongo.db!.collection('uploads.chunks').countDocuments({ n: { $gte: 0 } })).toBe(
        // Only the chunks of the files still stored: the 20 MiB one (81 chunks) and the 3 small ones above.
        await mongo
          .db!.collection('uploads.files')
          .find()
          .toArray()
          .then((docs) => docs.reduce((n, d) => n + Math.ceil((d.length as number) / (255 * 1024)), 0)),
      );
  });
});
