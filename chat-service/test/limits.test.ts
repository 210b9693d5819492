import {
  RATE_LIMITED_CONNECT_ERROR,
  type AckError,
  type HistoryResponse,
  type JoinRoomAck,
  type Message,
} from '@chat/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryClient, HistoryPageQuery, RoomMembership } from '../src/adapters/history-client.js';
import {
  collectReceived,
  connect,
  connected,
  connectError,
  emitRaw,
  join,
  send,
  startChatNode,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
  type ChatNode,
  type ClientSocket,
} from './helpers.js';
import { RawSocketIoClient } from './raw-client.js';

/**
 * Counts history reads (each `joinRoom {sinceSeq}` the buffer cannot answer alone makes one) and
 * answers an empty room: these tests are about how many reads a socket can cause, not their content.
 */
class CountingHistory implements HistoryClient {
  calls = 0;
  page(_roomId: string, _query: HistoryPageQuery, _token: string): Promise<HistoryResponse> {
    this.calls++;
    return Promise.resolve({ messages: [], hasMore: false });
  }
  message(): Promise<Message | null> {
    return Promise.resolve(null);
  }
  rooms(): Promise<RoomMembership[]> {
    return Promise.resolve([]);
  }
}

/** History that holds every read until opened: joins stay unanswered meanwhile. */
class GatedHistory extends CountingHistory {
  private open!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release(): void {
    this.open();
  }
  override async page(roomId: string, query: HistoryPageQuery, token: string): Promise<HistoryResponse> {
    await this.opened;
    return super.page(roomId, query, token);
  }
}

const OUTPUT_MAX_BYTES = 1024 * 1024;
const history = new CountingHistory();
const cluster = useChatCluster('chat-limits', {
  nodes: 2,
  history: () => history,
  env: () => ({
    SEND_RATE_LIMIT_PER_MIN: '100000',
    SOCKET_OUTPUT_MAX_BYTES: String(OUTPUT_MAX_BYTES),
    // The default 30 joins, over a window the flood cannot outlast on a loaded machine.
    JOIN_RATE_WINDOW_SEC: '120',
  }),
});

const codeOf = (ack: { ok: boolean }) => (ack.ok ? 'ok' : (ack as AckError).error.code);
const liveOn = (node: ChatNode, id: string | undefined) => node.app.io.of('/').sockets.has(id ?? '');

describe('joins per socket (DESIGN.md §4.1)', () => {
  it('answers a flood of joinRoom {sinceSeq:0} with RATE_LIMITED beyond 30, keeps the socket, and reads history at most twice per admitted join', async () => {
    const socket = await connected(connect(cluster.url(), tokenFor(userFor())));
    const callsBefore = history.calls;
    const acks: JoinRoomAck[] = [];
    for (let i = 0; i < 1000; i += 25) {
      const batch = Array.from({ length: 25 }, () => emitRaw(socket, 'joinRoom', { roomId: 'flood', sinceSeq: 0 }));
      acks.push(...((await Promise.all(batch)) as JoinRoomAck[]));
    }
    const codes = acks.map(codeOf);
    expect(codes.filter((c) => c === 'ok')).toHaveLength(30);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(970);
    const limited = acks.find((a) => !a.ok) as AckError;
    expect(limited.error.retryAfterSec).toBeGreaterThanOrEqual(1);
    expect(limited.error.retryAfterSec).toBeLessThanOrEqual(120);
    // At most two reads per admitted join: messages after sinceSeq, and older ones changed after it.
    expect(history.calls - callsBefore).toBeLessThanOrEqual(2 * 30);
    expect(socket.connected).toBe(true);
    expect((await send(socket, 'flood', 'still here')).ok).toBe(true);
  });
});

describe('unanswered events per socket', () => {
  const gated = new GatedHistory();
  let node: ChatNode;
  afterAll(async () => {
    gated.release();
    await node?.close();
  });

  it('answers RATE_LIMITED beyond SOCKET_MAX_PENDING_EVENTS while earlier ones are unanswered, then serves again', async () => {
    node = await startChatNode(cluster.iso(), { env: { SOCKET_MAX_PENDING_EVENTS: '5' }, history: gated });
    const socket = await connected(connect(node.url, tokenFor(userFor())));
    const held = Array.from({ length: 5 }, (_, i) => emitRaw(socket, 'joinRoom', { roomId: `held-${i}`, sinceSeq: 0 }));
    const refused = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => emitRaw(socket, 'joinRoom', { roomId: `more-${i}`, sinceSeq: 0 })),
      emitRaw(socket, 'leaveRoom', { roomId: 'held-0' }),
      emitRaw(socket, 'sendMessage', { roomId: 'held-0', clientMsgId: 'x', text: 'x' }),
    ]);
    expect(refused.map((a) => codeOf(a as JoinRoomAck))).toEqual(Array(12).fill('RATE_LIMITED'));
    gated.release();
    expect((await Promise.all(held)).map((a) => codeOf(a as JoinRoomAck))).toEqual(Array(5).fill('ok'));
    expect((await send(socket, 'held-0', 'served again')).ok).toBe(true);
  });
});

describe('sockets per user across nodes', () => {
  it('refuses the 21st socket of a user with connect_error "rate_limited" {retryAfterSec}; the 20 live on; a closed one frees a place', async () => {
    const user = userFor();
    const token = tokenFor(user);
    const sockets: ClientSocket[] = [];
    for (let i = 0; i < 20; i++) sockets.push(await connected(connect(cluster.url(i % 2), token)));

    for (const node of [0, 1]) {
      const err = (await connectError(connect(cluster.url(node), token))) as Error & { data?: unknown };
      expect(err.message).toBe(RATE_LIMITED_CONNECT_ERROR);
      expect(err.data).toEqual({ retryAfterSec: expect.any(Number) as number });
    }
    expect(sockets.every((s) => s.connected)).toBe(true);
    expect((await send(sockets[0]!, 'lobby', 'on node 0')).ok).toBe(true);
    expect((await send(sockets[1]!, 'lobby', 'on node 1')).ok).toBe(true);
    // Someone else is not affected.
    expect((await connected(connect(cluster.url(), tokenFor(userFor())))).connected).toBe(true);

    sockets[3]!.disconnect();
    await waitFor(
      async () => {
        const next = connect(cluster.url(1), token);
        return connected(next).then(
          () => true,
          () => false,
        );
      },
      10_000,
      'a place for a new socket',
      100,
    );
  });
});

describe('a client that stops reading', () => {
  it('is disconnected once its unsent output passes SOCKET_OUTPUT_MAX_BYTES; others keep receiving and the node does not balloon', async () => {
    const node = cluster.nodes()[0]!;
    const sender = await connected(connect(cluster.url(), tokenFor(userFor())));
    const listener = await connected(connect(cluster.url(), tokenFor(userFor())));
    await join(listener, 'big');
    const received = collectReceived(listener);
    // 200 messages of 2000 characters: each joinRoom from before the first is ~460 KB, answered
    // from the recent buffer alone (no history here).
    let firstSeq = Infinity;
    for (let i = 0; i < 200; i += 20) {
      const batch = Array.from({ length: 20 }, (_, j) => send(sender, 'big', `${i + j} `.padEnd(2000, 'x')));
      const acks = await Promise.all(batch);
      expect(acks.every((a) => a.ok)).toBe(true);
      for (const a of acks) if (a.ok) firstSeq = Math.min(firstSeq, a.message.seq);
    }
    await waitFor(() => received.length === 200, 15_000, 'the listener got every message');

    const rssBefore = process.memoryUsage().rss;
    const stalled = await RawSocketIoClient.connect(cluster.url(), tokenFor(userFor()));
    stalled.pause();
    for (let i = 0; i < 30; i++) stalled.emit(i, 'joinRoom', { roomId: 'big', sinceSeq: firstSeq - 1 });
    await waitFor(() => !liveOn(node, stalled.id), 30_000, 'the non-reading socket disconnected');
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    stalled.destroy();

    const overflows = await node.metrics.getSingleMetric('chat_forced_disconnects_total')?.get();
    expect(overflows?.values.find((v) => v.labels.reason === 'output_overflow')?.value).toBeGreaterThanOrEqual(1);
    expect(rssGrowthMb).toBeLessThan(100);
    expect((await send(sender, 'big', 'after the stall')).ok).toBe(true);
    await waitFor(() => received.length === 201, 10_000, 'the listener still receives');
    expect(listener.connected).toBe(true);
  });
});
