import { randomUUID } from 'node:crypto';
import type { Message } from '@chat/contracts';
import { createLogger } from '@chat/service-kit';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MemoryAdmission } from '../../src/admission_memory.js';
import { MemoryHistoryClient } from '../../src/history-client_memory.js';
import { createMessageHandlers } from '../../src/message-handlers.js';
import { createChatMetrics } from '../../src/metrics.js';
import { MemoryPublisher } from '../../src/publisher_memory.js';
import { MemoryRecentBuffer } from '../../src/recent-buffer_memory.js';
import { createSequenceCheck, createSequenceRecovery } from '../../src/sequence-recovery.js';
import type { ChatServer, SocketData } from '../../src/socket-types.js';
import { userFor } from '../helpers.js';

/** sendMessage with every backend in memory: the handler's own logic, deterministic and fast. */
function setup(opts: { ratePerMinute?: number; draining?: boolean } = {}) {
  const log = createLogger('unit', 'silent');
  const admission = new MemoryAdmission(opts.ratePerMinute ?? 100);
  const recent = new MemoryRecentBuffer(10);
  const history = new MemoryHistoryClient();
  const publisher = new MemoryPublisher();
  const broadcasts: Message[] = [];
  const io = { to: () => ({ emit: (_event: string, m: Message) => broadcasts.push(m) }) } as unknown as ChatServer;
  let historyReads = 0;
  const countingHistory = {
    page: (...args: Parameters<MemoryHistoryClient['page']>) => (historyReads++, history.page(...args)),
  };
  let redisRestarts = 0;
  const sequenceDeps = { admission, recent, history: countingHistory, marginSeq: 1000, log };
  const handlers = createMessageHandlers({
    io,
    admission,
    recent,
    publisher,
    recoverSequence: createSequenceRecovery(sequenceDeps),
    checkSequence: createSequenceCheck({ ...sequenceDeps, restarts: async () => redisRestarts }),
    metrics: createChatMetrics(new Registry()),
    log,
    isDraining: () => opts.draining ?? false,
    confirmTimeoutMs: 1000,
  });
  const caller: SocketData = { user: userFor(), token: 'token' };
  const send = (text: string, clientMsgId: string = randomUUID(), roomId = 'lobby', who = caller) =>
    handlers.sendMessage(who, { roomId, clientMsgId, text });
  const redisRestarted = () => void redisRestarts++;
  return {
    send,
    caller,
    admission,
    recent,
    history,
    publisher,
    broadcasts,
    historyReads: () => historyReads,
    redisRestarted,
  };
}

describe('sendMessage handler (memory backends)', () => {
  it('seeds a new room once for concurrent first sends, at or above the clock', async () => {
    const t = setup();
    const before = Date.now();
    const acks = await Promise.all([t.send('a'), t.send('b'), t.send('c')]);
    expect(t.historyReads()).toBe(1);
    const seqs = acks.map((a) => a.message.seq).sort((x, y) => x - y);
    expect(seqs[0]).toBeGreaterThan(before);
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
  });

  it('after a Redis restart raises a counter that came back older, once per room, before the next send', async () => {
    const { send, admission, history, historyReads, redisRestarted } = setup();
    const sent: Message[] = [];
    for (let i = 0; i < 3; i++) {
      const ack = await send(`m${i}`);
      sent.push(ack.message);
      history.store(ack.message);
    }
    const highest = sent.at(-1)!.seq;
    // The restarted server lost the tail of its writes: the counter is back two sends.
    (admission as unknown as { seqs: Map<string, number> }).seqs.set('lobby', highest - 2);
    redisRestarted();
    const reads = historyReads();
    const after = (await send('after')).message;
    expect(after.seq).toBe(highest + 1000 + 1);
    expect(historyReads()).toBe(reads + 1);
    // Checked once per room per restart; a counter that is ahead is left alone.
    expect((await send('again')).message.seq).toBe(highest + 1000 + 2);
    expect(historyReads()).toBe(reads + 1);
    await admission.raiseSequence('lobby', 5);
    expect(await admission.lastSeq('lobby')).toBe(highest + 1000 + 2);
  });

  it('makes a concurrent resend wait for the first and answer its message; publishes and broadcasts once', async () => {
    const t = setup();
    await t.send('warm');
    const release = t.publisher.hold();
    const first = t.send('once', 'same-id');
    const second = t.send('once', 'same-id');
    await new Promise((r) => setTimeout(r, 50));
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(b.message).toEqual(a.message);
    expect(t.publisher.published.filter((p) => p.messageId === a.message.id)).toHaveLength(1);
    expect(t.broadcasts.filter((m) => m.clientMsgId === 'same-id')).toHaveLength(1);
  });

  it('after a failed publish broadcasts nothing and accepts the same clientMsgId again with a new seq', async () => {
    const t = setup();
    const warm = await t.send('warm');
    t.publisher.failNext();
    await expect(t.send('retry me', 'retry-id')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(t.broadcasts.map((m) => m.text)).toEqual(['warm']);
    const retried = await t.send('retry me', 'retry-id');
    expect(retried.message.seq).toBeGreaterThan(warm.message.seq + 1);
    expect(t.broadcasts.map((m) => m.text)).toEqual(['warm', 'retry me']);
    expect(await t.recent.highestSeq('lobby')).toBe(retried.message.seq);
  });

  it('rate-limits accepted sends per user but still answers resends of accepted ones', async () => {
    const t = setup({ ratePerMinute: 2 });
    const first = await t.send('1', 'first');
    await t.send('2');
    await expect(t.send('3')).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterSec: 60 });
    expect((await t.send('1', 'first')).message).toEqual(first.message);
    const other = { user: userFor(), token: 'token' };
    expect((await t.send('other user', randomUUID(), 'lobby', other)).ok).toBe(true);
  });

  it('refuses sends while draining, and a dm room of others, before touching any backend', async () => {
    await expect(setup({ draining: true }).send('late')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const t = setup();
    const dm = `dm:${'a'.repeat(24)}:${'b'.repeat(24)}`;
    await expect(t.send('hi', randomUUID(), dm)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(t.historyReads()).toBe(0);
    expect(t.publisher.published).toEqual([]);
  });
});
