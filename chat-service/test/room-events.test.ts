import { randomUUID } from 'node:crypto';
import { dmRoomId, type Message, type MessageAck } from '@chat/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getHistory, startService, type RunningService } from '../../message-service/test/helpers.js';
import {
  connect,
  connected,
  emitRaw,
  historyAt,
  join,
  send,
  sendMany,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
  type ClientSocket,
} from './helpers.js';

/**
 * editMessage, deleteMessage, react and replies across two chat-service nodes, against the
 * real message-service (RabbitMQ → MongoDB → history), with a recent buffer of 5 so that
 * older messages come from history.
 */
let ms: RunningService;
let historyDown = false;
const cluster = useChatCluster('chat-room-events', {
  nodes: 2,
  history: () => historyAt(() => (historyDown ? 'http://127.0.0.1:9' : ms.url)),
  env: () => ({ RECENT_BUFFER_SIZE: '5', SEND_RATE_LIMIT_PER_MIN: '10000' }),
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

const alice = userFor();
const bob = userFor();
const room = () => `events-${randomUUID().slice(0, 8)}`;
const ok = (ack: MessageAck): Message => {
  if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
  return ack.message;
};
const code = (ack: unknown) => (ack as { error?: { code: string } }).error?.code;

const edit = (s: ClientSocket, roomId: string, messageId: string, text: string, clientMsgId?: string) =>
  s.timeout(10_000).emitWithAck('editMessage', { roomId, messageId, text, ...(clientMsgId ? { clientMsgId } : {}) });
const remove = (s: ClientSocket, roomId: string, messageId: string) =>
  s.timeout(10_000).emitWithAck('deleteMessage', { roomId, messageId });
const reply = (s: ClientSocket, roomId: string, replyToId: string, text = 'quoting') =>
  s.timeout(10_000).emitWithAck('sendMessage', { roomId, clientMsgId: randomUUID(), text, replyToId });
const react = (s: ClientSocket, roomId: string, messageId: string, emoji: string, add = true) =>
  s.timeout(10_000).emitWithAck('react', { roomId, messageId, emoji, add });

/** Alice on node 0 and Bob on node 1, both in a fresh room; Bob collects `messageUpdated`. */
async function twoMembers() {
  const roomId = room();
  const a = await connected(connect(cluster.url(0), tokenFor(alice)));
  const b = await connected(connect(cluster.url(1), tokenFor(bob)));
  await join(a, roomId);
  await join(b, roomId);
  const updates: Message[] = [];
  b.on('messageUpdated', (m) => updates.push(m));
  return { roomId, a, b, updates };
}

const storedState = (id: string) => ms.mongo.collection('messages').findOne({ _id: id as never });

describe('edit, delete, react, reply across two nodes', () => {
  it('edits: the sender gets the new state with a new version, the room gets messageUpdated, MongoDB gets it', async () => {
    const { roomId, a, updates } = await twoMembers();
    const original = ok(await send(a, roomId, 'helo'));
    // Alice again, on the other node: the buffer and the lock are shared through Redis.
    const aliceElsewhere = await connected(connect(cluster.url(1), tokenFor(alice)));
    const edited = ok(await edit(aliceElsewhere, roomId, original.id, ' hello '));
    expect(edited).toMatchObject({ id: original.id, seq: original.seq, text: 'hello', createdAt: original.createdAt });
    expect(edited.version).toBeGreaterThan(original.seq);
    expect(edited.editedAt).toBeDefined();
    await waitFor(() => updates.length === 1, 10_000, 'messageUpdated on the other node');
    expect(updates[0]).toEqual(edited);
    expect(cluster.sink().events.find((e) => e.type === 'edit' && e.message.id === original.id)?.message).toEqual(
      edited,
    );
    await waitFor(async () => (await storedState(original.id))?.text === 'hello', 10_000, 'edit stored');
  });

  it('refuses: not the sender, unknown id, another room, bad emoji, a 21st emoji, a stranger in a dm', async () => {
    const { roomId, a, b } = await twoMembers();
    const m = ok(await send(a, roomId, 'mine'));
    const elsewhere = room();
    await join(a, elsewhere);
    const other = ok(await send(a, elsewhere, 'other room'));
    expect(code(await edit(b, roomId, m.id, 'not yours'))).toBe('FORBIDDEN');
    expect(code(await remove(b, roomId, m.id))).toBe('FORBIDDEN');
    expect(code(await edit(a, roomId, randomUUID(), 'x'))).toBe('NOT_FOUND');
    expect(code(await edit(a, roomId, other.id, 'x'))).toBe('NOT_FOUND');
    expect(code(await react(b, roomId, other.id, '👍'))).toBe('NOT_FOUND');
    expect(code(await react(b, roomId, m.id, 'a b'))).toBe('INVALID');
    expect(code(await react(b, roomId, m.id, ''))).toBe('INVALID');
    expect(code(await emitRaw(b, 'editMessage', { roomId, messageId: m.id, text: '   ' }))).toBe('INVALID');
    expect(code(await emitRaw(b, 'react', { roomId, messageId: m.id, emoji: '👍' }))).toBe('INVALID');
    for (let i = 0; i < 20; i++) ok(await react(i % 2 ? a : b, roomId, m.id, `e${i}`));
    expect(code(await react(b, roomId, m.id, 'e20'))).toBe('INVALID');
    const dm = dmRoomId(alice.userId, bob.userId);
    const dmMessage = ok(await send(a, dm, 'private'));
    const stranger = await connected(connect(cluster.url(1), tokenFor(userFor())));
    expect(code(await react(stranger, dm, dmMessage.id, '👍'))).toBe('FORBIDDEN');
    // Nothing of the refused ones was published.
    expect(cluster.sink().events.filter((e) => e.message.id === m.id && e.type === 'edit')).toEqual([]);
  });

  it('deletes: content gone, place kept; a deleted message refuses edits, reactions and a second delete', async () => {
    const { roomId, a, b, updates } = await twoMembers();
    const target = ok(await send(a, roomId, 'take this back'));
    ok(await react(b, roomId, target.id, '👍'));
    const quoting = ok(await reply(b, roomId, target.id));
    expect(quoting.replyTo).toEqual({
      id: target.id,
      seq: target.seq,
      senderName: target.senderName,
      excerpt: target.text,
    });
    const gone = ok(await remove(a, roomId, target.id));
    expect(gone).toMatchObject({ id: target.id, seq: target.seq, senderId: alice.userId, text: '' });
    expect(gone.deletedAt).toBeDefined();
    expect(gone.reactions).toBeUndefined();
    await waitFor(() => updates.some((u) => u.deletedAt !== undefined), 10_000, 'delete broadcast');
    expect(code(await edit(a, roomId, target.id, 'again'))).toBe('INVALID');
    expect(code(await react(b, roomId, target.id, '🎉'))).toBe('INVALID');
    expect(code(await remove(a, roomId, target.id))).toBe('INVALID');
    // A reply to it now quotes nothing: in history (masked when served) and for a new reply.
    const late = ok(await reply(b, roomId, target.id, 'quoting a deleted one'));
    expect(late.replyTo?.excerpt).toBe('');
    const token = tokenFor(bob);
    await waitFor(
      async () =>
        (await getHistory(ms.url, roomId, {}, token)).body.messages.find((x) => x.id === quoting.id)?.replyTo
          ?.excerpt === '',
      10_000,
      'quote blanked in history',
    );
    const page = await getHistory(ms.url, roomId, {}, token);
    expect(page.body.messages.find((x) => x.id === target.id)).toEqual(gone);
  });

  it('replies quote at most 140 characters; a reply to another room or an unknown id is NOT_FOUND', async () => {
    const { roomId, a, b } = await twoMembers();
    const long = ok(await send(a, roomId, 'x'.repeat(139) + '😀 and more'));
    const quoting = ok(await reply(b, roomId, long.id));
    expect(quoting.replyTo?.excerpt).toBe('x'.repeat(139)); // never half a surrogate pair
    const elsewhere = room();
    await join(a, elsewhere);
    const other = ok(await send(a, elsewhere, 'there'));
    for (const replyToId of [other.id, randomUUID()]) {
      expect(code(await reply(b, roomId, replyToId))).toBe('NOT_FOUND');
    }
  });

  it('reactions from two nodes at once are all kept; adding twice counts once', async () => {
    const { roomId, a, b } = await twoMembers();
    const m = ok(await send(a, roomId, 'react to me'));
    const emoji = ['👍', '🎉', '❤️', '😂', '🔥', '👀', '✅', '🙏'];
    const acks = await Promise.all(emoji.flatMap((e) => [react(a, roomId, m.id, e), react(b, roomId, m.id, e)]));
    acks.forEach(ok);
    const versions = acks.map((x) => ok(x).version);
    expect(new Set(versions).size).toBe(versions.length);
    const final = acks.map(ok).reduce((x, y) => (y.version > x.version ? y : x));
    // Every one of the 16 kept (first-add order depends on the race, so compared sorted).
    const kept = (final.reactions ?? []).map((r) => `${r.emoji}:${[...r.userIds].sort().join(',')}`).sort();
    expect(kept).toEqual(emoji.map((e) => `${e}:${[alice.userId, bob.userId].sort().join(',')}`).sort());
    const again = ok(await react(a, roomId, m.id, '👍'));
    expect(again.version).toBe(final.version);
    const removed = ok(await react(a, roomId, m.id, '👍', false));
    expect(removed.reactions?.find((r) => r.emoji === '👍')).toEqual({ emoji: '👍', userIds: [bob.userId] });
    await waitFor(async () => (await storedState(m.id))?.version === removed.version, 10_000, 'stored');
  });

  it('a resend of an edit with the same clientMsgId applies once and answers the same message', async () => {
    const { roomId, a, updates } = await twoMembers();
    const m = ok(await send(a, roomId, 'v1'));
    const clientMsgId = randomUUID();
    const first = ok(await edit(a, roomId, m.id, 'v2', clientMsgId));
    const again = ok(await edit(a, roomId, m.id, 'v2', clientMsgId));
    expect(again).toEqual(first);
    await waitFor(() => updates.length >= 1, 10_000, 'broadcast');
    await new Promise((r) => setTimeout(r, 300));
    expect(updates).toHaveLength(1);
    expect(cluster.sink().events.filter((e) => e.type === 'edit' && e.message.id === m.id)).toHaveLength(1);
  });
});

describe('older messages and resync', () => {
  it('changes a message older than the buffer from history; with history down, UNAVAILABLE while sends go on', async () => {
    const { roomId, a } = await twoMembers();
    const old = ok(await send(a, roomId, 'old one'));
    await sendMany([a], roomId, 6); // the buffer holds 5
    await waitFor(async () => (await storedState(old.id)) !== null, 10_000, 'old one stored');
    historyDown = true;
    expect(code(await edit(a, roomId, old.id, 'fixed'))).toBe('UNAVAILABLE');
    ok(await send(a, roomId, 'plain sends never need history'));
    historyDown = false;
    const fixed = ok(await edit(a, roomId, old.id, 'fixed'));
    expect(fixed).toMatchObject({ text: 'fixed', seq: old.seq });
    // Its state is buffered now (changes set): the next change needs no history.
    historyDown = true;
    expect(ok(await react(a, roomId, old.id, '👍')).reactions).toEqual([{ emoji: '👍', userIds: [alice.userId] }]);
  });

  it('a client that held a message gets its final state from joinRoom {sinceSeq}, from the buffer and from history', async () => {
    for (const olderThanBuffer of [false, true]) {
      const { roomId, a, b } = await twoMembers();
      const held = ok(await send(a, roomId, 'held'));
      const unchanged = ok(await send(a, roomId, 'unchanged'));
      const sinceSeq = unchanged.seq;
      ok(await edit(a, roomId, held.id, 'edited'));
      ok(await react(b, roomId, held.id, '👍'));
      const last = ok(await remove(a, roomId, held.id));
      let newer: Message[] = [];
      if (olderThanBuffer) {
        // Messages and changes beyond the buffers of 5: the held message's state is only in history.
        newer = await sendMany([a], roomId, 12);
        // Out of the buffer of 5 at once, the first ones can be changed only once history has them.
        for (const sent of newer) await waitFor(async () => (await storedState(sent.id)) !== null, 10_000, 'stored');
        for (let i = 0; i < 6; i++) newer[i] = ok(await react(b, roomId, newer[i]!.id, '👍'));
        const lastChange = newer[5]!;
        await waitFor(
          async () => (await storedState(lastChange.id))?.version === lastChange.version,
          10_000,
          'persisted',
        );
      }
      const rejoining = await connected(connect(cluster.url(1), tokenFor(bob)));
      const ack = await join(rejoining, roomId, sinceSeq);
      expect(ack.missed).toEqual([last, ...newer]);
      expect(ack.hasMore).toBe(false);
      // From before both: the unchanged message too, once, in seq order.
      const fromStart = await join(rejoining, roomId, held.seq - 1);
      expect(fromStart.missed).toEqual([last, unchanged, ...newer]);
    }
  });

  it('an acked edit reaches MongoDB across a message-service stop and restart', async () => {
    const { roomId, a } = await twoMembers();
    const m = ok(await send(a, roomId, 'before'));
    await waitFor(async () => (await storedState(m.id)) !== null, 10_000, 'stored');
    await ms.svc.stop();
    const edited = ok(await edit(a, roomId, m.id, 'during the outage'));
    await ms.svc.start();
    await waitFor(async () => (await storedState(m.id))?.version === edited.version, 15_000, 'edit stored');
    expect((await storedState(m.id))?.text).toBe('during the outage');
  });
});
