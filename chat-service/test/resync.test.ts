import { randomUUID } from 'node:crypto';
import { JOIN_MISSED_MAX, type Message } from '@chat/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getHistory, type RunningService, startService } from '../../message-service/test/helpers.js';
import {
  connect,
  connected,
  historyAt,
  join,
  send,
  sendMany,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
} from './helpers.js';

/**
 * joinRoom {sinceSeq} with a small recent buffer (5) against the real message-service
 * (RabbitMQ → MongoDB → history API): older messages come from history. Its consumer is
 * stopped to make persistence lag; its history API can be made unreachable.
 */
let ms: RunningService;
let historyDown = false;
/** Called once, on the next history read. */
let onHistoryRead: (() => void) | undefined;
const cluster = useChatCluster('chat-resync', {
  history: () =>
    historyAt(() => {
      onHistoryRead?.();
      onHistoryRead = undefined;
      return historyDown ? 'http://127.0.0.1:9' : ms.url;
    }),
  // A generous wait for persistence: the test that needs it restarts the consumer mid-join.
  env: () => ({ RECENT_BUFFER_SIZE: '5', SEND_RATE_LIMIT_PER_MIN: '10000', RESYNC_PERSISTENCE_WAIT_MS: '8000' }),
});
beforeAll(async () => {
  ms = await startService(cluster.iso());
});
afterAll(async () => {
  await ms?.close();
});
afterEach(async () => {
  historyDown = false;
  await ms.svc.start();
});

const storedCount = (roomId: string) => ms.mongo.collection('messages').countDocuments({ roomId });
const persisted = (roomId: string, n: number) =>
  waitFor(async () => (await storedCount(roomId)) === n, 15_000, `${roomId} to hold ${n}`);
const seqs = (ms: Message[]) => ms.map((m) => m.seq);

describe('joinRoom with sinceSeq', () => {
  it('merges history (older) and the buffer (newer, unpersisted) into exactly what came after sinceSeq', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const stored = await sendMany([sender], 'merge', 30);
    await persisted('merge', 30);
    await ms.svc.stop();
    const lagging = await sendMany([sender], 'merge', 3);

    const rejoining = await connected(connect(cluster.url(), tokenFor(userFor())));
    const ack = await join(rejoining, 'merge', stored[3]!.seq);
    expect(ack.missed).toEqual([...stored.slice(4), ...lagging]);
    expect(ack.hasMore).toBe(false);
    expect(ack.room.lastSeq).toBe(lagging[2]!.seq);
  });

  it('caps missed at JOIN_MISSED_MAX, oldest first, with hasMore; the rest pages from history', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const sent = await sendMany([sender], 'capped', JOIN_MISSED_MAX + 20);
    await persisted('capped', sent.length);
    const ack = await join(sender, 'capped', 0);
    expect(ack.missed).toEqual(sent.slice(0, JOIN_MISSED_MAX));
    expect(ack.hasMore).toBe(true);
    const rest = await getHistory(ms.url, 'capped', { after: ack.missed.at(-1)!.seq, limit: 100 }, tokenFor(userFor()));
    expect([...ack.missed, ...rest.body.messages]).toEqual(sent);
  });

  it('persistence behind by more than the buffer: hasMore with the stored prefix only, complete once stored', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const stored = await sendMany([sender], 'lagging', 4);
    await persisted('lagging', 4);
    await ms.svc.stop();
    const unpersisted = await sendMany([sender], 'lagging', 12); // the buffer (5) holds the last 5

    const ack = await join(sender, 'lagging', stored[1]!.seq);
    // Never the buffer's tail after a hole: the client resumes from stored[3] and asks again.
    expect(ack.missed).toEqual(stored.slice(2));
    expect(ack.hasMore).toBe(true);

    await ms.svc.start();
    await persisted('lagging', 16);
    const later = await join(sender, 'lagging', stored[3]!.seq);
    expect(later).toMatchObject({ missed: unpersisted, hasMore: false });
  });

  it('a join just after the first messages of a new room gets them (waits out a short persistence lag)', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const joiner = await connected(connect(cluster.url(), tokenFor(userFor())));
    await ms.svc.stop();
    const sent = await sendMany([sender], 'fresh', 1);
    // The buffer began at the room's first seq: only history can prove nothing came before it.
    // Persistence resumes as soon as the join has first found history behind.
    onHistoryRead = () => void ms.svc.start();
    expect(await join(joiner, 'fresh', 0)).toMatchObject({ missed: sent, hasMore: false });
  });

  it('answers from the buffer alone when it covers sinceSeq, even with history down', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const sent = await sendMany([sender], 'covered', 8);
    historyDown = true;
    const ack = await join(sender, 'covered', sent[4]!.seq);
    expect(ack).toMatchObject({ missed: sent.slice(5), hasMore: false });
  });

  it('with history down and the buffer short, says hasMore with nothing missed rather than skip a gap', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const sent = await sendMany([sender], 'gap', 12);
    historyDown = true;
    const ack = await join(sender, 'gap', sent[0]!.seq);
    expect(ack).toMatchObject({ ok: true, missed: [], hasMore: true, room: { lastSeq: sent[11]!.seq } });
  });

  it('answers nothing at or below sinceSeq, even for seqs confirmed (and buffered) after it', async () => {
    const sockets = await Promise.all([1, 2, 3, 4].map(() => connected(connect(cluster.url(), tokenFor(userFor())))));
    // Concurrent sends: confirms (and buffer pushes) land out of seq order.
    const acks = await Promise.all(
      sockets.flatMap((s) => [0, 1, 2].map((i) => send(s, 'exact', `${i}`, randomUUID()))),
    );
    const sent = acks.map((a) => (a.ok ? a.message : null)).filter((m): m is Message => m !== null);
    expect(sent).toHaveLength(12);
    const bySeq = [...sent].sort((a, b) => a.seq - b.seq);
    for (const since of [bySeq[6]!.seq, bySeq[9]!.seq, bySeq[11]!.seq]) {
      const ack = await join(sockets[0]!, 'exact', since);
      expect(seqs(ack.missed)).toEqual(seqs(bySeq.filter((m) => m.seq > since)));
    }
  });
});
