import { randomUUID } from 'node:crypto';
import type { InternalNotify, Message } from '@chat/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { getHistory, type RunningService, startService } from '../../message-service/test/helpers.js';
import { SYSTEM_SENDER_ID } from '../src/http/internal-api.js';
import {
  collectReceived,
  connect,
  connected,
  historyAt,
  join,
  send,
  startChatNode,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
} from './helpers.js';

const TOKEN = 'internal-test-token-0123456789abcdef';
let ms: RunningService | undefined;
const cluster = useChatCluster('chat-internal', {
  nodes: 2,
  env: () => ({ INTERNAL_API_TOKEN: TOKEN }),
  history: () => historyAt(() => ms!.url),
});
afterAll(async () => {
  await ms?.close();
});

async function post(path: string, body: unknown, opts: { node?: number; token?: string | null; url?: string } = {}) {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const res = await fetch(`${opts.url ?? cluster.url(opts.node ?? 0)}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { message: Message; error: { code: string } } };
}

const publish = (roomId: string, idempotencyKey: string, text = 'Maintenance at 22:00 UTC', node = 0) =>
  post('/internal/publish', { roomId, text, senderName: 'Status bot', idempotencyKey }, { node });

/** A user's message after the publishes: once it has arrived, every earlier broadcast has too. */
async function marker(socket: Parameters<typeof send>[0], roomId: string, got: Message[]) {
  const ack = await send(socket, roomId, 'marker');
  if (!ack.ok) throw new Error(ack.error.message);
  await waitFor(() => got.some((m) => m.id === ack.message.id), 5000, 'marker message');
  return got.filter((m) => m.system);
}

describe('POST /internal/publish', () => {
  it('publishes a system message through the send path; the same key again (also concurrently, on the other node) answers the same message and is broadcast and queued once', async () => {
    const roomId = 'internal-once';
    const reader = await connected(connect(cluster.url(1), tokenFor(userFor())));
    await join(reader, roomId);
    const got = collectReceived(reader);
    const key = randomUUID();
    const first = await publish(roomId, key);
    expect(first.status).toBe(200);
    expect(first.body.message).toMatchObject({
      roomId,
      text: 'Maintenance at 22:00 UTC',
      senderId: SYSTEM_SENDER_ID,
      senderName: 'Status bot',
      system: true,
    });
    const again = await Promise.all([publish(roomId, key, undefined, 1), publish(roomId, key, undefined, 0)]);
    for (const res of again) expect(res.body.message).toEqual(first.body.message);

    expect(await marker(reader, roomId, got)).toEqual([first.body.message]);
    const queued = () => cluster.sink().messages.filter((m) => m.id === first.body.message.id);
    await waitFor(() => queued().length === 1, 5000, 'queued once');
    expect(queued()[0]).toEqual(first.body.message);

    const other = await publish(roomId, randomUUID(), 'Another notice');
    expect(other.body.message.seq).toBeGreaterThan(first.body.message.seq);
    const reused = await publish(roomId, key, 'Different text under the same key');
    expect(reused).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
  });

  it('a publish acked while message-service is down is stored once when it is back, and history returns it as system', async () => {
    const roomId = 'internal-durable';
    const key = randomUUID();
    // Once started, message-service has declared its durable queue; then it goes away.
    await (await startService(cluster.iso())).close();
    const acked = await publish(roomId, key);
    expect(acked.status).toBe(200);
    ms = await startService(cluster.iso());
    const reader = tokenFor(userFor());
    await waitFor(
      async () => (await getHistory(ms!.url, roomId, { limit: 10 }, reader)).body.messages.length === 1,
      15_000,
      'stored',
    );
    // Restart message-service; the same key again is answered from the dedupe record and not stored twice.
    await ms.close();
    expect((await publish(roomId, key)).body.message).toEqual(acked.body.message);
    const next = await publish(roomId, randomUUID(), 'after the restart');
    ms = await startService(cluster.iso());
    await waitFor(
      async () => (await getHistory(ms!.url, roomId, { limit: 10 }, reader)).body.messages.length === 2,
      15_000,
      'stored after restart',
    );
    const { body } = await getHistory(ms.url, roomId, { limit: 10 }, reader);
    expect(body.messages).toEqual([acked.body.message, next.body.message]);
    expect(await ms.mongo.collection('messages').countDocuments({ roomId })).toBe(2);
  });

  it('a dm room gets it too; bad bodies get INVALID, big ones 413, and nothing is queued', async () => {
    const before = cluster.sink().messages.length;
    const cases: [unknown, number, string][] = [
      [{ roomId: 'x', text: 'hi', senderName: 'bot' }, 400, 'INVALID'],
      [{ roomId: 'Not A Room', text: 'hi', senderName: 'bot', idempotencyKey: 'k' }, 400, 'INVALID'],
      [{ roomId: 'x', text: '   ', senderName: 'bot', idempotencyKey: 'k' }, 400, 'INVALID'],
      [{ roomId: 'x', text: 'hi', senderName: 'bot', idempotencyKey: 'k', senderId: 'a'.repeat(24) }, 400, 'INVALID'],
      [[1, 2, 3], 400, 'INVALID'],
      ['{"roomId":', 400, 'INVALID_JSON'],
      [{ roomId: 'x', text: 'y'.repeat(70 * 1024), senderName: 'bot', idempotencyKey: 'k' }, 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post('/internal/publish', body);
      expect({ status: res.status, code: res.body.error.code }).toEqual({ status, code });
    }
    const a = userFor();
    const b = userFor();
    const dm = [a.userId, b.userId].sort().join(':');
    expect((await publish(`dm:${dm}`, randomUUID())).status).toBe(200);
    await waitFor(() => cluster.sink().messages.length === before + 1, 5000, 'one queued');
  });

  it('401 without the token or with a wrong one (also of another length), and nothing is published', async () => {
    const before = cluster.sink().messages.length;
    const body = { roomId: 'internal-auth', text: 'hi', senderName: 'bot', idempotencyKey: 'k' };
    for (const token of [null, 'wrong', `${TOKEN.slice(0, -1)}x`, `${TOKEN}x`, '']) {
      for (const path of ['/internal/publish', '/internal/notify']) {
        const res = await post(path, body, { token });
        expect({ token, status: res.status, code: res.body.error.code }).toEqual({
          token,
          status: 401,
          code: 'UNAUTHORIZED',
        });
      }
    }
    expect((await publish('internal-auth', 'k')).status).toBe(200);
    await waitFor(() => cluster.sink().messages.length === before + 1, 5000, 'only the authorised one queued');
  });
});

describe('POST /internal/notify', () => {
  it('reaches every socket of the user on both nodes as internalNotify, and nobody else', async () => {
    const ada = userFor();
    const sockets = await Promise.all([0, 1].map((n) => connected(connect(cluster.url(n), tokenFor(ada)))));
    const other = userFor();
    const bystander = await connected(connect(cluster.url(0), tokenFor(other)));
    const got: InternalNotify[][] = [[], [], []];
    [...sockets, bystander].forEach((s, i) => s.on('internalNotify', (n) => got[i]!.push(n)));
    const res = await post('/internal/notify', { userId: ada.userId, event: 'invoice.paid', data: { amount: 42 } });
    expect(res.status).toBe(200);
    const notice = { event: 'invoice.paid', data: { amount: 42 } };
    await waitFor(() => got[0]!.length === 1 && got[1]!.length === 1, 5000, 'both sockets notified');
    expect(got.slice(0, 2)).toEqual([[notice], [notice]]);
    const bad = await post('/internal/notify', { userId: 'nope', event: 'has space', data: 1 });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID' } } });
    // The bystander's own notice arriving shows that nothing addressed to Ada reached it before.
    await post('/internal/notify', { userId: other.userId, event: 'mine', data: null });
    await waitFor(() => got[2]!.length > 0, 5000, 'the bystander’s notice');
    expect(got[2]).toEqual([{ event: 'mine', data: null }]);
  });
});

describe('INTERNAL_API_TOKEN unset', () => {
  it('the internal routes do not exist: 404 with or without a token', async () => {
    const node = await startChatNode(cluster.iso());
    try {
      for (const path of ['/internal/publish', '/internal/notify']) {
        for (const token of [null, TOKEN, '']) {
          const res = await post(path, { roomId: 'x' }, { url: node.url, token });
          expect({ path, status: res.status, code: res.body.error.code }).toEqual({
            path,
            status: 404,
            code: 'NOT_FOUND',
          });
        }
      }
    } finally {
      await node.close();
    }
  });
});
