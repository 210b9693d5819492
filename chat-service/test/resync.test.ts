import { JOIN_MISSED_MAX, type Message } from '@chat/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryHistoryClient } from '../src/history-client_memory.js';
import { connect, connected, join, tokenFor, useChatCluster, userFor, waitFor, sendMany } from './helpers.js';

/**
 * joinRoom {sinceSeq} with a small recent buffer (5): older messages come from history (the
 * in-memory fake, fed with what the broker received unless the room is marked unpersisted).
 */
const history = new MemoryHistoryClient();
const unpersisted = new Set<string>();
const cluster = useChatCluster('chat-resync', {
  history: () => history,
  env: () => ({ RECENT_BUFFER_SIZE: '5', SEND_RATE_LIMIT_PER_MIN: '10000' }),
  onPublished: (m) => {
    if (!unpersisted.has(m.roomId)) history.store(m);
  },
});
afterEach(() => {
  history.failure = null;
});

/** The part of `missed` above sinceSeq; the rest must be recent stragglers the client may lack. */
function afterSince(missed: Message[], sinceSeq: number, sent: Message[]): Message[] {
  const below = missed.filter((m) => m.seq <= sinceSeq);
  for (const m of below) expect(sent).toContainEqual(m);
  expect(missed.map((m) => m.seq)).toEqual([...missed.map((m) => m.seq)].sort((a, b) => a - b));
  return missed.filter((m) => m.seq > sinceSeq);
}

describe('joinRoom with sinceSeq', () => {
  it('merges history (older) and the buffer (newer, partly unpersisted) into one ordered gapless list', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const persisted = await sendMany([sender], 'merge', 30);
    await waitFor(() => history.pageSync('merge') === 30, 5000, 'persistence');
    unpersisted.add('merge');
    const lagging = await sendMany([sender], 'merge', 3);

    const rejoining = await connected(connect(cluster.url(), tokenFor(userFor())));
    const ack = await join(rejoining, 'merge', persisted[3]!.seq);
    expect(afterSince(ack.missed, persisted[3]!.seq, persisted)).toEqual([...persisted.slice(4), ...lagging]);
    expect(ack.hasMore).toBe(false);
    expect(ack.room.lastSeq).toBe(lagging[2]!.seq);
  });

  it('caps missed at JOIN_MISSED_MAX, oldest first, with hasMore; the rest pages from history', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const sent = await sendMany([sender], 'capped', JOIN_MISSED_MAX + 20);
    await waitFor(() => history.pageSync('capped') === sent.length, 5000, 'persistence');
    const ack = await join(sender, 'capped', 0);
    expect(ack.missed).toEqual(sent.slice(0, JOIN_MISSED_MAX));
    expect(ack.hasMore).toBe(true);
    const rest = await history.page('capped', { limit: 100, after: ack.missed.at(-1)!.seq }, '');
    expect([...ack.missed, ...rest.messages]).toEqual(sent);
  });

  it('answers from the buffer alone when it covers sinceSeq, even with history down', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const sent = await sendMany([sender], 'covered', 8);
    history.failure = new Error('message-service down');
    const ack = await join(sender, 'covered', sent[4]!.seq);
    expect(afterSince(ack.missed, sent[4]!.seq, sent)).toEqual(sent.slice(5));
    expect(ack.hasMore).toBe(false);
  });

  it('with history down and the buffer short, says hasMore with nothing missed rather than skip a gap', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const sent = await sendMany([sender], 'gap', 12);
    history.failure = new Error('message-service down');
    const ack = await join(sender, 'gap', sent[0]!.seq);
    expect(ack).toMatchObject({ ok: true, missed: [], hasMore: true, room: { lastSeq: sent[11]!.seq } });
  });

  it('gives nothing missed when sinceSeq is current', async () => {
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const sent = await sendMany([sender], 'current', 2);
    const ack = await join(sender, 'current', sent[1]!.seq);
    expect(ack).toMatchObject({ hasMore: false, room: { lastSeq: sent[1]!.seq } });
    expect(afterSince(ack.missed, sent[1]!.seq, sent)).toEqual([]);
  });
});
