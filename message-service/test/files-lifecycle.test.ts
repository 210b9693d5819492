import { messageRoutingKey, sharedKeys, type Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGridFsFileStore } from '../src/file-store_gridfs.js';
import type { FileStore } from '../src/file-store.js';
import { createMongoMessageStore } from '../src/message-store.js';
import { bearer, download, upload } from './files-helpers.js';
import {
  asEvents,
  createPublisher,
  makeMessage,
  startService,
  tokenFor,
  userId,
  waitFor,
  type RunningService,
} from './helpers.js';

/** Attached once a stored message carries it, removed with the last message carrying it, or swept when never attached. */

const iso = useIsolation('ms-files-lifecycle');
let service: RunningService;
let publisher: Awaited<ReturnType<typeof createPublisher>>;
let files: FileStore;
const alice = userId();
const bob = userId();
const aliceToken = tokenFor(alice);
const bobToken = tokenFor(bob);
const room = 'general';
let seq = 0;

beforeAll(async () => {
  service = await startService(iso(), { env: { UNATTACHED_FILE_MAX_AGE_SEC: '1', FILE_SWEEP_INTERVAL_SEC: '0' } });
  publisher = await createPublisher(iso().amqpUrl);
  files = createGridFsFileStore(service.mongo);
});
afterAll(async () => {
  await publisher?.close();
  await service?.close();
});

async function uploaded(name: string): Promise<{ id: string; name: string; size: number; contentType: string }> {
  const { status, body } = await upload(service.url, aliceToken, `content of ${name}`, name);
  expect(status).toBe(201);
  return body.file!;
}

function publishEvent(type: 'message' | 'delete', message: Message): void {
  publisher.publish(Buffer.from(JSON.stringify({ v: 1, type, message })), messageRoutingKey(message.roomId));
}

async function sendWith(...attachments: Message['attachments'] & object): Promise<Message> {
  seq += 1;
  const message = makeMessage({ roomId: room, seq, senderId: alice, attachments });
  publishEvent('message', message);
  await publisher.confirmed();
  return message;
}

async function deleteMessage(message: Message): Promise<void> {
  const { attachments: _gone, ...rest } = message;
  seq += 1;
  publishEvent('delete', { ...rest, text: '', version: seq, deletedAt: new Date().toISOString() });
  await publisher.confirmed();
}

const attachedTo = async (id: string) => (await files.stat(id))?.messageIds ?? null;
const record = (id: string) => service.redis.get(sharedKeys(iso().redisPrefix).fileRecord(id));

describe('attachment lifecycle through the consumer', () => {
  it('marks a file attached once a stored message carries it; room members may then read it', async () => {
    const file = await uploaded('a.txt');
    expect((await download(service.url, `/files/${file.id}`, bearer(bobToken))).status).toBe(403);
    const message = await sendWith(file);
    await waitFor(async () => (await attachedTo(file.id))?.includes(message.id) === true, 10_000, 'marked attached');
    expect((await download(service.url, `/files/${file.id}`, bearer(bobToken))).status).toBe(200);
  });

  it('deleting the message hides the file: removed from storage and from Redis', async () => {
    const file = await uploaded('b.txt');
    const message = await sendWith(file);
    await waitFor(async () => (await attachedTo(file.id))?.length === 1, 10_000, 'marked attached');
    await deleteMessage(message);
    await waitFor(async () => (await files.stat(file.id)) === null, 10_000, 'file removed');
    expect(await record(file.id)).toBeNull();
    expect((await download(service.url, `/files/${file.id}`, bearer(aliceToken))).status).toBe(404);
    expect((await download(service.url, `/files/${file.id}`, bearer(bobToken))).status).toBe(404);
  });

  it('keeps a file while another stored message still carries it', async () => {
    const file = await uploaded('c.txt');
    const first = await sendWith(file);
    const second = await sendWith(file);
    await waitFor(async () => (await attachedTo(file.id))?.length === 2, 10_000, 'both marked');
    await deleteMessage(first);
    const unrelated = await sendWith();
    await waitFor(
      async () => (await service.mongo.db!.collection('messages').countDocuments({ id: unrelated.id })) === 1,
      10_000,
      'later message stored',
    );
    expect(await files.stat(file.id)).not.toBeNull();
    expect((await download(service.url, `/files/${file.id}`, bearer(bobToken))).status).toBe(200);
    await deleteMessage(second);
    await waitFor(async () => (await files.stat(file.id)) === null, 10_000, 'file removed with its last message');
  });
});

describe('the sweep of unattached uploads', () => {
  it('removes unattached uploads past the age only; a carried file whose mark was lost is marked instead', async () => {
    const old = await uploaded('old.txt');
    const attached = await uploaded('attached.txt');
    const message = await sendWith(attached);
    await waitFor(async () => (await attachedTo(attached.id))?.length === 1, 10_000, 'marked attached');
    // Stored without the consumer (no mark), as if the mark had been lost to an outage.
    const unmarked = await uploaded('unmarked.txt');
    const carrier = makeMessage({ roomId: 'elsewhere', seq: 1, senderId: alice, attachments: [unmarked] });
    await createMongoMessageStore(service.mongo).writeBatch(asEvents([carrier]));
    await new Promise((r) => setTimeout(r, 1_100));
    const fresh = await uploaded('fresh.txt');

    expect(await service.svc.fileLifecycle.sweep()).toBe(1);
    expect(await files.stat(old.id)).toBeNull();
    expect(await record(old.id)).toBeNull();
    expect(await attachedTo(attached.id)).toEqual([message.id]);
    expect(await attachedTo(unmarked.id)).toEqual([carrier.id]);
    expect(await files.stat(fresh.id)).not.toBeNull();
    expect(await record(fresh.id)).not.toBeNull();
    expect(await service.svc.fileLifecycle.sweep()).toBe(0);
  });
});
