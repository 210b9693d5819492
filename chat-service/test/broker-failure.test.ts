import { randomUUID } from 'node:crypto';
import { CHAT_EXCHANGE, messageRoutingKey, type SendMessageAck } from '@chat/contracts';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectReceived,
  connect,
  connected,
  join,
  send,
  startChatNode,
  bindSink,
  startFreezableProxy,
  tokenFor,
  type ChatNode,
  useChatCluster,
  userFor,
  waitFor,
} from './helpers.js';

const cluster = useChatCluster('chat-broker', { env: () => ({ SEND_RATE_LIMIT_PER_MIN: '10000' }) });
const iso = cluster.iso;

/** The management API lists a new connection only after its next stats tick: poll for it. */
async function chatConnectionName(): Promise<string> {
  let name: string | undefined;
  await waitFor(
    async () => {
      const conns = await iso().rabbit.connections(iso().vhost);
      name = conns.find((c) => c.clientName?.startsWith('chat-service@'))?.name;
      return name !== undefined;
    },
    15_000,
    'chat-service connection in the management API',
  );
  return name!;
}

describe('broker failures', () => {
  it('connection closed by the broker mid-stream: acked ⊆ published, the rest error-acked, then sending resumes', async () => {
    const roomId = 'stream';
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const member = await connected(connect(cluster.url(), tokenFor(userFor())));
    await join(member, roomId);
    const received = collectReceived(member);

    const connectionName = await chatConnectionName();
    const total = 300;
    const acks: SendMessageAck[] = [];
    let closing: Promise<void> | undefined;
    const window = 10;
    for (let i = 0; i < total; i += window) {
      const batch = Array.from({ length: window }, (_, j) => send(sender, roomId, `m${i + j}`, `c${i + j}`));
      if (i === 100) closing = iso().rabbit.closeConnection(connectionName);
      acks.push(...(await Promise.all(batch)));
    }
    await closing;

    const ok = acks.filter((a) => a.ok);
    const failed = acks.filter((a) => !a.ok);
    expect(acks).toHaveLength(total);
    expect(ok.length).toBeGreaterThanOrEqual(100);
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });

    // Sending works again once the publisher has reconnected; failed clientMsgIds may be resent.
    const retried = await retryUntilOk(() => send(sender, roomId, 'after reconnect'));
    const resent: SendMessageAck[] = [];
    for (const f of acks.map((a, i) => ({ a, i })).filter(({ a }) => !a.ok)) {
      resent.push(await send(sender, roomId, `m${f.i}`, `c${f.i}`));
    }
    expect(resent.every((a) => a.ok)).toBe(true);

    const accepted = [...ok, retried, ...resent].map((a) => (a.ok ? a.message : null)).filter((m) => m !== null);
    await waitFor(
      () => accepted.every((m) => cluster.sink().messages.some((s) => s.id === m.id)),
      8000,
      'acked messages in the broker',
    );
    // Nobody saw a message whose send failed: deliveries are exactly the accepted sends.
    await waitFor(() => received.length >= accepted.length, 5000, 'deliveries');
    expect(new Set(received.map((m) => m.id))).toEqual(new Set(accepted.map((m) => m.id)));
    const seqs = received.map((m) => m.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(new Set(received.map((m) => m.clientMsgId)).size).toBe(total + 1);
  });

  it('a returned (unroutable) publish is UNAVAILABLE, not broadcast, and the same clientMsgId succeeds later', async () => {
    const roomId = `returned-${randomUUID().slice(0, 6)}`;
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const member = await connected(connect(cluster.url(), tokenFor(userFor())));
    await join(member, roomId);
    const received = collectReceived(member);

    await cluster.sink().unbind();
    let failed: SendMessageAck;
    try {
      failed = await send(sender, roomId, 'nowhere to go', 'retry-me');
    } finally {
      await cluster.sink().rebind();
    }
    expect(failed).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual([]);

    const retried = await send(sender, roomId, 'nowhere to go', 'retry-me');
    expect(retried.ok).toBe(true);
    await waitFor(() => received.length === 1);
    expect(retried.ok && received[0]!.id === retried.message.id).toBe(true);
  });

  it('a nacked publish (a full queue that rejects publishes) is UNAVAILABLE and not broadcast', async () => {
    const roomId = 'full-room';
    // The member joins first: a new membership goes through the same queue and would be nacked too.
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const member = await connected(connect(cluster.url(), tokenFor(userFor())));
    await join(member, roomId);
    const received = collectReceived(member);
    const conn = await amqp.connect(iso().amqpUrl);
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue('full', { arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
      await ch.bindQueue('full', CHAT_EXCHANGE, messageRoutingKey(roomId));
      expect(await send(sender, roomId, 'no room for me')).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      await ch.deleteQueue('full');
      expect((await send(sender, roomId, 'now there is')).ok).toBe(true);
      await waitFor(() => received.length === 1);
      expect(received[0]!.text).toBe('now there is');
    } finally {
      await conn.close();
    }
  });
});

async function retryUntilOk(attempt: () => Promise<SendMessageAck>): Promise<SendMessageAck> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ack = await attempt();
    if (ack.ok || Date.now() > deadline) return ack;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('confirm timeout', () => {
  let proxy: Awaited<ReturnType<typeof startFreezableProxy>>;
  let node: ChatNode;
  beforeAll(async () => {
    const amqpUrl = new URL(iso().amqpUrl);
    proxy = await startFreezableProxy({ host: amqpUrl.hostname, port: Number(amqpUrl.port || 5672) });
    amqpUrl.host = `127.0.0.1:${proxy.port}`;
    node = await startChatNode(iso(), { env: { AMQP_URL: amqpUrl.toString(), CONFIRM_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await node?.close();
    await proxy?.close();
  });

  it('no confirm within CONFIRM_TIMEOUT_MS → UNAVAILABLE, nothing broadcast; the resend republishes the same message', async () => {
    const roomId = `slow-${randomUUID().slice(0, 6)}`;
    const sink = await bindSink(iso().amqpUrl);
    const sender = await connected(connect(node.url, tokenFor(userFor())));
    const member = await connected(connect(node.url, tokenFor(userFor())));
    await join(member, roomId);
    await join(sender, roomId);
    const received = collectReceived(member);
    expect((await send(sender, roomId, 'warm')).ok).toBe(true);

    proxy.freeze();
    const started = Date.now();
    let timedOut: SendMessageAck;
    try {
      timedOut = await send(sender, roomId, 'held confirm', 'held-1');
    } finally {
      proxy.thaw();
    }
    expect(timedOut).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await new Promise((r) => setTimeout(r, 100));
    expect(received.map((m) => m.text)).toEqual(['warm']);

    const retried = await send(sender, roomId, 'held confirm', 'held-1');
    expect(retried.ok).toBe(true);
    await waitFor(() => received.length === 2);
    expect(received[1]).toEqual(retried.ok ? retried.message : null);
    // The broker kept the timed-out copy; the resend is that same message (id, seq), not a
    // new one that the unique index would then drop in favour of the first.
    await waitFor(() => sink.messages.filter((m) => m.clientMsgId === 'held-1').length === 2);
    const copies = sink.messages.filter((m) => m.clientMsgId === 'held-1');
    for (const copy of copies) expect(copy).toEqual(received[1]);
    await sink.close();
  });
});
