import { randomUUID } from 'node:crypto';
import { dmRoomId, type Message } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChatNode,
  collectReceived,
  connect,
  connected,
  join,
  newUserId,
  send,
  startChatNode,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
} from './helpers.js';

const cluster = useChatCluster('chat-messaging', { nodes: 2 });
const iso = cluster.iso;

const room = () => `room-${randomUUID().slice(0, 8)}`;
const settle = () => new Promise((r) => setTimeout(r, 150));

describe('sendMessage across nodes', () => {
  it('reaches a member on the other node only after the broker confirmed it, with its seq', async () => {
    const roomId = room();
    const alice = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const bob = await connected(connect(cluster.url(1), tokenFor(userFor())));
    await join(alice, roomId);
    await join(bob, roomId);
    const bobGot = collectReceived(bob);

    const ack = await send(alice, roomId, '  hello bob  ');
    expect(ack.ok).toBe(true);
    if (!ack.ok) return;
    expect(ack.message).toMatchObject({ roomId, text: 'hello bob', seq: expect.any(Number) });
    await waitFor(() => bobGot.length === 1, 5000, 'bob to receive');
    expect(bobGot[0]).toEqual(ack.message);
    expect(cluster.sink().messages).toContainEqual(ack.message);
  });

  it('numbers a room strictly increasing in send order, whichever node accepts', async () => {
    const roomId = room();
    const alice = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const bob = await connected(connect(cluster.url(1), tokenFor(userFor())));
    const seqs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const ack = await send(i % 2 ? bob : alice, roomId, `m${i}`);
      if (!ack.ok) throw new Error(ack.error.message);
      seqs.push(ack.message.seq);
    }
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
  });

  it('answers a resend of an accepted clientMsgId with the original and broadcasts it once', async () => {
    const roomId = room();
    const user = userFor();
    const sender = await connected(connect(cluster.url(0), tokenFor(user)));
    const sameUserElsewhere = await connected(connect(cluster.url(1), tokenFor(user)));
    const member = await connected(connect(cluster.url(1), tokenFor(userFor())));
    await join(member, roomId);
    const got = collectReceived(member);
    const clientMsgId = randomUUID();

    const first = await send(sender, roomId, 'once', clientMsgId);
    const again = await send(sameUserElsewhere, roomId, 'once', clientMsgId);
    // Concurrent resends race on the pending claim; all must agree too.
    const racing = await Promise.all([
      send(sender, roomId, 'twice', 'race-1'),
      send(sameUserElsewhere, roomId, 'twice', 'race-1'),
    ]);
    await settle();

    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok || !racing[0].ok || !racing[1].ok) throw new Error('send failed');
    expect(again.message).toEqual(first.message);
    expect(racing[1].message).toEqual(racing[0].message);
    expect(got.map((m) => m.clientMsgId)).toEqual([clientMsgId, 'race-1']);
    expect(cluster.sink().messages.filter((m) => m.roomId === roomId)).toHaveLength(2);
  });

  it('keeps the same clientMsgId of two different users apart', async () => {
    const roomId = room();
    const a = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const b = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const [ackA, ackB] = [await send(a, roomId, 'from a', 'shared-id'), await send(b, roomId, 'from b', 'shared-id')];
    if (!ackA.ok || !ackB.ok) throw new Error('send failed');
    expect(ackA.message.id).not.toBe(ackB.message.id);
    expect(ackB.message.text).toBe('from b');
  });

  it('stops delivering after leaveRoom', async () => {
    const roomId = room();
    const alice = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const bob = await connected(connect(cluster.url(1), tokenFor(userFor())));
    await join(bob, roomId);
    const got = collectReceived(bob);
    await send(alice, roomId, 'before');
    await waitFor(() => got.length === 1);
    expect(await bob.timeout(5000).emitWithAck('leaveRoom', { roomId })).toEqual({ ok: true });
    await send(alice, roomId, 'after');
    await settle();
    expect(got.map((m) => m.text)).toEqual(['before']);
  });

  it('lets only its two members join, read or send in a dm room', async () => {
    const [u1, u2, u3] = [userFor(), userFor(), userFor()];
    const roomId = dmRoomId(u1.userId, u2.userId);
    const one = await connected(connect(cluster.url(0), tokenFor(u1)));
    const two = await connected(connect(cluster.url(1), tokenFor(u2)));
    const outsider = await connected(connect(cluster.url(0), tokenFor(u3)));
    await join(two, roomId);
    const twoGot = collectReceived(two);
    const outsiderGot = collectReceived(outsider);

    const joinAck = await outsider.timeout(5000).emitWithAck('joinRoom', { roomId, sinceSeq: 0 });
    expect(joinAck).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await send(outsider, roomId, 'let me in')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const ok = await send(one, roomId, 'just us');
    expect(ok.ok).toBe(true);
    await waitFor(() => twoGot.length === 1);
    await settle();
    expect(outsiderGot).toEqual([]);
  });

  it('answers joinRoom with the room lastSeq and what came after sinceSeq', async () => {
    const roomId = room();
    const alice = await connected(connect(cluster.url(0), tokenFor(userFor())));
    const sent: Message[] = [];
    for (let i = 0; i < 5; i++) {
      const ack = await send(alice, roomId, `m${i}`);
      if (!ack.ok) throw new Error(ack.error.message);
      sent.push(ack.message);
    }
    const late = await connected(connect(cluster.url(1), tokenFor(userFor())));
    const ack = await join(late, roomId, sent[1]!.seq);
    expect(ack.room).toEqual({ id: roomId, lastSeq: sent[4]!.seq, lastReadSeq: 0 });
    // Lower seqs pushed within the straggler window may come too (the client dedupes by seq).
    expect(ack.missed.filter((m: Message) => m.seq > sent[1]!.seq)).toEqual(sent.slice(2));
    expect(ack.missed.every((m: Message) => sent.some((s) => s.id === m.id))).toBe(true);
    expect(ack.hasMore).toBe(false);
    const fresh = await join(late, room());
    expect(fresh).toMatchObject({ room: { lastSeq: 0 }, missed: [], hasMore: false });
  });
});

describe('per-user rate limit shared across nodes', () => {
  let limitedA: ChatNode;
  let limitedB: ChatNode;
  beforeAll(async () => {
    const env = { SEND_RATE_LIMIT_PER_MIN: '3' };
    [limitedA, limitedB] = await Promise.all([startChatNode(iso(), { env }), startChatNode(iso(), { env })]);
  });
  afterAll(async () => {
    await Promise.all([limitedA?.close(), limitedB?.close()]);
  });

  it('refuses the fourth send in a minute with RATE_LIMITED and retryAfterSec, and counts per user', async () => {
    const roomId = room();
    const user = userFor(newUserId());
    const onA = await connected(connect(limitedA.url, tokenFor(user)));
    const onB = await connected(connect(limitedB.url, tokenFor(user)));
    const acks = [await send(onA, roomId, '1'), await send(onB, roomId, '2'), await send(onA, roomId, '3')];
    expect(acks.every((a) => a.ok)).toBe(true);
    const limited = await send(onB, roomId, '4');
    expect(limited).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    if (limited.ok) return;
    expect(limited.error.retryAfterSec).toBeGreaterThanOrEqual(1);
    expect(limited.error.retryAfterSec).toBeLessThanOrEqual(60);
    // A resend of an accepted message is not a new send and still answers.
    const first = acks[0]!;
    if (!first.ok) return;
    expect(await send(onB, roomId, '1', first.message.clientMsgId)).toEqual(first);
    const other = await connected(connect(limitedB.url, tokenFor(userFor())));
    expect((await send(other, roomId, 'someone else')).ok).toBe(true);
  });
});
