import { randomUUID } from 'node:crypto';
import type { SendMessageAck } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, download, upload } from '../../../message-service/test/files-helpers.js';
import { type RunningService, startService } from '../../../message-service/test/helpers.js';
import {
  type ClientSocket,
  connect,
  connected,
  historyAt,
  join,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
} from '../helpers.js';

/** Uploaded to message-service, attached by chat-service (its FileRecord in Redis), stored, readable by the room. */
let ms: RunningService;
const cluster = useChatCluster('chat-attachments', { nodes: 1, history: () => historyAt(() => ms.url) });
beforeAll(async () => {
  ms = await startService(cluster.iso());
});
afterAll(async () => {
  await ms?.close();
});

const alice = userFor();
const bob = userFor();
const aliceToken = tokenFor(alice);
const bobToken = tokenFor(bob);

function sendWith(socket: ClientSocket, roomId: string, attachmentIds: string[], text = ''): Promise<SendMessageAck> {
  return socket.timeout(10_000).emitWithAck('sendMessage', { roomId, clientMsgId: randomUUID(), text, attachmentIds });
}

async function uploaded(token: string, name: string) {
  const { status, body } = await upload(ms.url, token, `bytes of ${name}`, name);
  expect(status).toBe(201);
  return body.file!;
}

describe('sendMessage with attachmentIds', () => {
  it('fills message.attachments from the sender’s uploads; the stored message opens the file to the room', async () => {
    const a = await connected(connect(cluster.url(0), aliceToken));
    await join(a, 'attach-room');
    const one = await uploaded(aliceToken, 'one.txt');
    const two = await uploaded(aliceToken, 'two.pdf');
    expect((await download(ms.url, `/files/${one.id}`, bearer(bobToken))).status).toBe(403);
    const ack = await sendWith(a, 'attach-room', [two.id, one.id]);
    if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
    expect(ack.message.text).toBe('');
    expect(ack.message.attachments).toEqual([two, one]);
    await waitFor(
      async () => (await download(ms.url, `/files/${one.id}`, bearer(bobToken))).status === 200,
      10_000,
      'stored',
    );
    a.disconnect();
  });

  it('refuses someone else’s upload, an unknown id (FORBIDDEN), the same id twice and more than 10 (INVALID)', async () => {
    const b = await connected(connect(cluster.url(0), bobToken));
    await join(b, 'attach-room');
    const alices = await uploaded(aliceToken, 'private.txt');
    const bobs = await uploaded(bobToken, 'mine.txt');
    const cases: [string[], string][] = [
      [[alices.id], 'FORBIDDEN'],
      [[bobs.id, alices.id], 'FORBIDDEN'],
      [['A'.repeat(22)], 'FORBIDDEN'],
      [[bobs.id, bobs.id], 'INVALID'],
      [Array.from({ length: 11 }, () => bobs.id), 'INVALID'],
      [['not/an/id'], 'INVALID'],
    ];
    for (const [ids, code] of cases) {
      const ack = await sendWith(b, 'attach-room', ids, 'look');
      expect(ack.ok, JSON.stringify(ids)).toBe(false);
      if (!ack.ok) expect(ack.error.code).toBe(code);
    }
    const ok = await sendWith(b, 'attach-room', [bobs.id], 'mine');
    expect(ok.ok).toBe(true);
    // Alice's file stays hers: no stored message carries it.
    await waitFor(
      async () => (await download(ms.url, `/files/${bobs.id}`, bearer(aliceToken))).status === 200,
      10_000,
      'stored',
    );
    expect((await download(ms.url, `/files/${alices.id}`, bearer(bobToken))).status).toBe(403);
    b.disconnect();
  });
});
