import type { Message } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatKeys } from '../src/adapters/keys.js';
import {
  type ClientSocket,
  collectReceived,
  connect,
  connected,
  join,
  send,
  startChatNode,
  startPrivateRedis,
  type PrivateRedis,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
  sendMany,
} from './helpers.js';

/**
 * Redis loses its data, comes back empty or comes back older (a private redis-server, killed
 * and restarted from an earlier snapshot). No message-service runs here at all: the send path
 * must keep seqs unique with Redis alone.
 */
let redis: PrivateRedis;
// Registered before the cluster's hooks: the private server starts before the nodes and stops after them.
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis?.stop();
});
const cluster = useChatCluster('chat-redis-flush', {
  nodes: 2,
  env: () => ({ REDIS_URL: redis.url, SEND_RATE_LIMIT_PER_MIN: '10000' }),
});

/** Send until Redis answers again (sends are refused while it is down); the accepted message. */
async function sendOnceRedisIsBack(socket: ClientSocket, roomId: string): Promise<Message> {
  let accepted: Message | undefined;
  await waitFor(
    async () => {
      const ack = await send(socket, roomId, 'after the restart');
      accepted = ack.ok ? ack.message : undefined;
      return ack.ok;
    },
    15_000,
    'sends to work again',
    100,
  );
  return accepted!;
}

const highest = (ms: Message[]) => Math.max(...ms.map((m) => m.seq));

describe('seq authority without history', () => {
  it('the first send in a new room works with no message-service, seqs then run consecutively', async () => {
    const sender = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const clockTicks = Date.now() * 100; // 10 µs ticks
    const sent = await sendMany([sender], 'brand-new', 3);
    expect(sent[0]!.seq).toBeGreaterThanOrEqual(clockTicks - 6_000_000_000); // Redis' clock, within a minute of ours
    expect(sent.map((m) => m.seq)).toEqual([sent[0]!.seq, sent[0]!.seq + 1, sent[0]!.seq + 2]);
  });
});

describe('Redis loses its data mid-run', () => {
  it('FLUSHALL: every later seq is above every earlier one, and delivery goes on', async () => {
    const a = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const b = await connected(connect(cluster.url(1), tokenFor(userFor())));
    const member = await connected(connect(cluster.url(1), tokenFor(userFor())));
    await join(member, 'flushed');
    const received = collectReceived(member);
    const before = await sendMany([a, b], 'flushed', 20);

    expect(await redis.client.flushall()).toBe('OK');

    // Concurrent first sends on both nodes: one script call each, so they cannot collide.
    const after = (await Promise.all([sendMany([a], 'flushed', 10), sendMany([b], 'flushed', 10)])).flat();
    const seqsAfter = after.map((m) => m.seq);
    expect(Math.min(...seqsAfter)).toBeGreaterThan(highest(before));
    expect(new Set(seqsAfter).size).toBe(seqsAfter.length);
    // The adapter's pub/sub is unaffected by the flush: the member on B got all 40.
    await waitFor(() => received.length === 40, 5000, 'deliveries after the flush');
    expect(new Set(received.map((m) => m.seq)).size).toBe(40);
  });

  it('Redis comes back from an older snapshot: neither a running node nor one started after reuses a seq', async () => {
    const keys = chatKeys(cluster.iso().redisPrefix);
    const sender = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const early = await sendMany([sender], 'rollback', 3);
    expect(await redis.client.save()).toBe('OK');
    const runBefore = await redis.runId();
    const late = await sendMany([sender], 'rollback', 5);

    // A host crash: the server comes back from the snapshot, without the last five sends.
    await redis.kill();
    await redis.restart();
    expect(await redis.runId()).not.toBe(runBefore);
    expect(Number(await redis.client.hget(keys.roomSequence('rollback'), 'last'))).toBe(highest(early));

    // A node that never saw the old server (no run_id of its own to compare) sends first.
    const fresh = await startChatNode(cluster.iso(), { env: { REDIS_URL: redis.url } });
    try {
      const freshSender = await connected(connect(fresh.url, tokenFor(userFor())));
      const fromFresh = await sendOnceRedisIsBack(freshSender, 'rollback');
      expect(fromFresh.seq).toBeGreaterThan(highest(late));
      const fromRunning = await sendOnceRedisIsBack(sender, 'rollback');
      expect(fromRunning.seq).toBe(fromFresh.seq + 1); // consecutive again under the new run
    } finally {
      await fresh.close();
    }
  });

  it('failover to a lagging replica: a node started on the promoted replica never reuses a seq', async () => {
    const keys = chatKeys(cluster.iso().redisPrefix);
    const replica = await startPrivateRedis();
    try {
      const primaryPort = Number(new URL(redis.url).port);
      await replica.client.replicaof('127.0.0.1', primaryPort);
      const sender = await connected(connect(cluster.url(0), tokenFor(userFor())));
      const replicated = await sendMany([sender], 'failover', 3);
      await waitFor(
        async () => Number(await replica.client.hget(keys.roomSequence('failover'), 'last')) === highest(replicated),
        10_000,
        'the replica to catch up',
      );
      // Replication stops (the replica falls behind), then the primary is lost and the replica promoted.
      await replica.client.replicaof('NO', 'ONE');
      const lost = await sendMany([sender], 'failover', 5);

      const promoted = await startChatNode(cluster.iso(), { env: { REDIS_URL: replica.url } });
      try {
        const s = await connected(connect(promoted.url, tokenFor(userFor())));
        const [next] = await sendMany([s], 'failover', 1);
        expect(next!.seq).toBeGreaterThan(highest(lost));
      } finally {
        await promoted.close();
      }
    } finally {
      await replica.stop();
    }
  });

  it('Redis down: sends get UNAVAILABLE and sockets stay up; after a restart (from an older snapshot) seqs keep rising', async () => {
    const a = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const member = await connected(connect(cluster.url(1), tokenFor(userFor())));
    await join(member, 'outage');
    const received = collectReceived(member);
    const before = await sendMany([a], 'outage', 5);

    await redis.kill();
    const during = await send(a, 'outage', 'while down');
    expect(during).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(a.connected).toBe(true);

    await redis.restart();
    const after = await sendOnceRedisIsBack(a, 'outage');
    expect(after.seq).toBeGreaterThan(highest(before));
    // The adapter resubscribes: the member on the other node receives again. Redis pub/sub
    // keeps nothing, so a broadcast made before node B's subscriber is back is not delivered
    // live (the member gets it on its next joinRoom); keep sending until deliveries resume.
    const sentAfter: Message[] = [after];
    await waitFor(
      async () => {
        if (received.some((m) => sentAfter.some((s) => s.id === m.id))) return true;
        const ack = await send(a, 'outage', 'back again');
        if (ack.ok) sentAfter.push(ack.message);
        return false;
      },
      10_000,
      'delivery after the restart',
      200,
    );
    expect(Math.min(...received.filter((m) => sentAfter.some((s) => s.id === m.id)).map((m) => m.seq))).toBeGreaterThan(
      highest(before),
    );
  });
});
