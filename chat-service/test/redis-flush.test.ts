import type { Message } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryHistoryClient } from '../src/history-client_memory.js';
import { chatKeys } from '../src/keys.js';
import {
  type ClientSocket,
  collectReceived,
  connect,
  connected,
  join,
  send,
  startPrivateRedis,
  type PrivateRedis,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
  sendMany,
} from './helpers.js';

/**
 * Redis loses everything (FLUSHALL on a private redis-server). History is the in-memory fake
 * fed with what the broker received, except for rooms marked as lagging, which stand for
 * messages accepted but not yet persisted by message-service.
 */
const history = new MemoryHistoryClient();
const lagging = new Set<string>();
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
  history: () => history,
  env: () => ({ REDIS_URL: redis.url, SEND_RATE_LIMIT_PER_MIN: '10000', SEQ_RECOVERY_MARGIN: '1000' }),
  onPublished: (m) => {
    if (!lagging.has(m.roomId)) history.store(m);
  },
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

describe('Redis loses its data mid-run', () => {
  it('keeps every later seq above every earlier one, persisted or not, and keeps delivering', async () => {
    const a = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const b = await connected(connect(cluster.url(1), tokenFor(userFor())));
    const member = await connected(connect(cluster.url(1), tokenFor(userFor())));
    await join(member, 'persisted');
    const received = collectReceived(member);
    lagging.add('lagging');

    const before = {
      persisted: await sendMany([a, b], 'persisted', 20),
      lagging: await sendMany([a, b], 'lagging', 20),
    };
    await waitFor(() => history.pageSync('persisted') === 20, 5000, 'history to hold the persisted room');
    expect(history.pageSync('lagging')).toBe(0);

    expect(await redis.client.flushall()).toBe('OK');

    // Concurrent first sends on both nodes race to recover the counter; SET NX makes them agree.
    const after = {
      persisted: (await Promise.all([sendMany([a], 'persisted', 10), sendMany([b], 'persisted', 10)])).flat(),
      lagging: (await Promise.all([sendMany([a], 'lagging', 10), sendMany([b], 'lagging', 10)])).flat(),
    };
    for (const room of ['persisted', 'lagging'] as const) {
      const highestBefore = Math.max(...before[room].map((m) => m.seq));
      const seqsAfter = after[room].map((m) => m.seq);
      expect(Math.min(...seqsAfter)).toBeGreaterThan(highestBefore);
      expect(new Set(seqsAfter).size).toBe(seqsAfter.length);
    }
    // The adapter's pub/sub is unaffected by the flush: the member on B got all 40.
    await waitFor(() => received.length === 40, 5000, 'deliveries after the flush');
    const seqs = received.map((m) => m.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual([...new Set(seqs)].sort((x, y) => x - y));
  });

  it('recovers a lost counter from the highest stored seq plus the margin when that is ahead of the clock', async () => {
    const sender = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const stored = Date.now() + 10_000_000; // a room whose counter ran ahead of the clock
    history.store({ ...(await sendMany([sender], 'busy', 1))[0]!, seq: stored });
    expect(await redis.client.flushall()).toBe('OK');
    const [next] = await sendMany([sender], 'busy', 1);
    expect(next!.seq).toBe(stored + 1000 + 1);
  });

  it('Redis restarts with a counter older than seqs already used: the next seqs are above them', async () => {
    const sender = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const before = await sendMany([sender], 'rollback', 5);
    const highest = Math.max(...before.map((m) => m.seq));
    await waitFor(() => history.pageSync('rollback') === 5, 5000, 'history to hold the room');

    // The restarted server lost the tail of its writes: the counter is back three sends.
    await redis.kill();
    await redis.restart();
    await redis.client.set(chatKeys(cluster.iso().redisPrefix).roomSeq('rollback'), highest - 3);
    const after = await sendOnceRedisIsBack(sender, 'rollback');
    expect(after.seq).toBe(highest + 1000 + 1);
  });

  it('Redis down: sends get UNAVAILABLE and sockets stay up; after a restart (empty) seqs keep rising', async () => {
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
    expect(after.seq).toBeGreaterThan(Math.max(...before.map((m) => m.seq)));
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
      Math.max(...before.map((m) => m.seq)),
    );
  });
});
