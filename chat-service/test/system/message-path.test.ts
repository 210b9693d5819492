import type { Message } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHistory, type RunningService, startService } from '../../../message-service/test/helpers.js';
import { chatKeys } from '../../src/adapters/keys.js';
import {
  type ClientSocket,
  collectReceived,
  connect,
  connected,
  historyAt,
  join,
  send,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
} from '../helpers.js';
import { ResyncingClient } from './resyncing-client.js';

/** The whole message path in one process: two chat-service nodes → RabbitMQ → message-service → MongoDB. */
let ms: RunningService;
// message-service needs the cluster's isolation, so it starts after the nodes: their history
// client resolves its URL on each call.
const cluster = useChatCluster('chat-system', {
  nodes: 2,
  history: () => historyAt(() => ms.url),
});
beforeAll(async () => {
  ms = await startService(cluster.iso());
});
afterAll(async () => {
  await ms?.close();
});

const storedCount = (roomId: string) => ms.mongo.collection('messages').countDocuments({ roomId });

/** Every stored message of a room through the history API, oldest first. */
async function fullHistory(roomId: string, token: string): Promise<Message[]> {
  const out: Message[] = [];
  for (let after = 0, hasMore = true; hasMore;) {
    const { status, body } = await getHistory(ms.url, roomId, { after, limit: 100 }, token);
    expect(status).toBe(200);
    out.push(...body.messages);
    hasMore = body.hasMore;
    after = body.messages.at(-1)?.seq ?? after;
  }
  return out;
}

describe('chat-service with message-service', () => {
  it('a message sent on node A reaches node B, carries its seq, and is then in history', async () => {
    const alice = userFor();
    const a = await connected(connect(cluster.url(0), tokenFor(alice)));
    const b = await connected(connect(cluster.url(1), tokenFor(userFor())));
    await join(a, 'system-hello');
    await join(b, 'system-hello');
    const got = collectReceived(b);
    const ack = await send(a, 'system-hello', 'hello through the whole path');
    if (!ack.ok) throw new Error(ack.error.message);
    expect(ack.message.seq).toBeGreaterThan(0);
    await waitFor(() => got.length === 1, 5000, 'delivery on node B');
    expect(got[0]).toEqual(ack.message);
    await waitFor(async () => (await storedCount('system-hello')) === 1, 10_000, 'persistence');
    expect(await fullHistory('system-hello', tokenFor(alice))).toEqual([ack.message]);
  });

  it('500 messages from 10 clients that drop and rejoin with sinceSeq: each ends complete, ordered, duplicate-free; MongoDB holds 500', async () => {
    const roomId = 'system-churn';
    const clients = Array.from(
      { length: 10 },
      (_, i) => new ResyncingClient(cluster.nodes(), ms.url, roomId, tokenFor(userFor()), i),
    );
    await Promise.all(clients.map((c) => c.start()));
    const sent = (await Promise.all(clients.map((c) => c.sendAll(50, 0.12)))).flat();
    expect(sent).toHaveLength(500);
    expect(new Set(sent.map((m) => m.seq)).size).toBe(500);
    expect(clients.reduce((n, c) => n + c.reconnects, 0)).toBeGreaterThan(10);

    const allIds = new Set(sent.map((m) => m.id));
    await waitFor(
      () => clients.every((c) => c.received().length === 500),
      15_000,
      'every client to hold all 500',
    ).catch((err: Error) => {
      const first = Math.min(...sent.map((m) => m.seq));
      const missing = clients.map((c) => {
        const held = new Set(c.received().map((m) => m.id));
        return sent.filter((m) => !held.has(m.id)).map((m) => m.seq - first);
      });
      throw new Error(`${err.message}; missing per client (seq offsets): ${JSON.stringify(missing)}`);
    });
    for (const c of clients) {
      const list = c.received();
      expect(c.conflicts).toBe(0);
      expect(new Set(list.map((m) => m.id))).toEqual(allIds);
      for (let i = 1; i < list.length; i++) expect(list[i]!.seq).toBeGreaterThan(list[i - 1]!.seq);
    }
    await waitFor(async () => (await storedCount(roomId)) === 500, 20_000, 'MongoDB to hold 500');
    await new Promise((r) => setTimeout(r, 200));
    expect(await storedCount(roomId)).toBe(500);
    expect(await fullHistory(roomId, clients[0]!.token)).toEqual([...sent].sort((x, y) => x.seq - y.seq));
  });

  it('message-service stopped mid-stream and restarted: nothing lost, nothing stored twice', async () => {
    const roomId = 'system-restart';
    const sockets: ClientSocket[] = await Promise.all(
      Array.from({ length: 4 }, (_, i) => connected(connect(cluster.url(i % 2), tokenFor(userFor())))),
    );
    const acked: Message[] = [];
    let restart: Promise<void> | undefined;
    await Promise.all(
      sockets.map(async (socket) => {
        for (let i = 0; i < 50; i++) {
          const ack = await send(socket, roomId, `restart ${i}`);
          if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
          acked.push(ack.message);
          if (acked.length === 60) {
            restart = (async () => {
              await ms.svc.stop();
              await new Promise((r) => setTimeout(r, 300));
              await ms.svc.start();
            })();
          }
        }
      }),
    );
    await restart;
    expect(acked).toHaveLength(200);
    await waitFor(async () => (await storedCount(roomId)) >= 200, 20_000, 'persistence after the restart');
    await new Promise((r) => setTimeout(r, 200));
    expect(await storedCount(roomId)).toBe(200);
    expect(await fullHistory(roomId, tokenFor(userFor()))).toEqual([...acked].sort((x, y) => x.seq - y.seq));
  });

  it('a resend after its dedupe record is gone is acked with the same id, and MongoDB holds that one message once', async () => {
    const roomId = 'system-lost-record';
    const alice = userFor();
    const socket = await connected(connect(cluster.url(0), tokenFor(alice)));
    const first = await send(socket, roomId, 'said once', 'lost-record');
    if (!first.ok) throw new Error(first.error.message);
    await waitFor(async () => (await storedCount(roomId)) === 1, 10_000, 'persistence');
    // The record expired, or Redis lost it: the resend is admitted as new.
    await cluster.nodes()[0]!.infra.redis.del(chatKeys(cluster.iso().redisPrefix).sentMessage(first.message.id));
    const again = await send(socket, roomId, 'said once', 'lost-record');
    if (!again.ok) throw new Error(again.error.message);
    expect(again.message.id).toBe(first.message.id);
    // Once the resend has gone through the queue too, history holds the message the acks named.
    const later = await send(socket, roomId, 'after it');
    if (!later.ok) throw new Error(later.error.message);
    await waitFor(async () => (await storedCount(roomId)) === 2, 10_000, 'persistence of the later one');
    expect((await fullHistory(roomId, tokenFor(alice))).map((m) => m.id)).toEqual([first.message.id, later.message.id]);
  });
});
