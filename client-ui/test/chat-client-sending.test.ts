import { describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { outboxKey } from '../src/session/user-storage.js';
import { flush, inRoom, ME, room, setup } from './chat-client-harness.js';
import { MemoryStorage, message as msg } from './fixtures.js';

const mine = (seq: number, clientMsgId: string, text: string) =>
  msg(seq, { senderId: ME.id, senderName: 'Me', clientMsgId, text });
const rateLimited = (retryAfterSec: number) => ({
  ok: false,
  error: { code: 'RATE_LIMITED', message: 'too many messages; slow down', retryAfterSec },
});
const sendsEmitted = (socket: { emitted: { event: string }[] }) =>
  socket.emitted.filter((e) => e.event === 'sendMessage');

describe('ChatClient: rate-limited sends', () => {
  it('keeps rate-limited messages pending, says how long, and sends them by itself in order with the same ids', async () => {
    const { client, socket } = await inRoom();
    client.send('general', 'one');
    client.send('general', 'two');
    client.send('general', 'three');
    const [one, two, three] = [socket.take('sendMessage'), socket.take('sendMessage'), socket.take('sendMessage')];
    one.answer({ ok: true, message: mine(1, 'id-1', 'one') });
    two.answer(rateLimited(1));
    three.answer(rateLimited(1));
    await flush();
    const held = client.getSnapshot().sendsHeldUntil;
    expect(held).toBeGreaterThan(Date.now());
    expect(room(client).timeline.outbox.map((o) => [o.clientMsgId, o.status])).toEqual([
      ['id-2', 'pending'],
      ['id-3', 'pending'],
    ]);
    // Written while held: queued behind the others, not sent now.
    client.send('general', 'four');
    expect(sendsEmitted(socket)).toHaveLength(0);

    // When the wait is over: one by one, oldest first.
    const again2 = await vi.waitFor(() => socket.take('sendMessage'), { timeout: 3_000 });
    expect(client.getSnapshot().sendsHeldUntil).toBeUndefined();
    expect(again2.payload).toEqual({ roomId: 'general', clientMsgId: 'id-2', text: 'two' });
    expect(sendsEmitted(socket)).toHaveLength(0);
    again2.answer({ ok: true, message: mine(2, 'id-2', 'two') });
    const again3 = await vi.waitFor(() => socket.take('sendMessage'));
    expect(again3.payload).toMatchObject({ clientMsgId: 'id-3' });
    again3.answer({ ok: true, message: mine(3, 'id-3', 'three') });
    const four = await vi.waitFor(() => socket.take('sendMessage'));
    expect(four.payload).toMatchObject({ clientMsgId: 'id-4' });
    four.answer({ ok: true, message: mine(4, 'id-4', 'four') });
    await vi.waitFor(() => expect(room(client).timeline.outbox).toEqual([]));
    expect(room(client).timeline.messages.map((m) => m.text)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('a send refused for another reason still fails with Retry', async () => {
    const { client, socket } = await inRoom();
    client.send('general', 'x');
    socket.take('sendMessage').answer({ ok: false, error: { code: 'FORBIDDEN', message: 'Not a member.' } });
    await flush();
    expect(room(client).timeline.outbox[0]).toMatchObject({ status: 'failed', error: 'Not a member.' });
    expect(client.getSnapshot().sendsHeldUntil).toBeUndefined();
  });
});

describe('ChatClient: nothing typed is lost', () => {
  it('pending and failed sends survive a reload: pending ones go out again under their own id, failed ones wait for Retry', async () => {
    const storage = new MemoryStorage();
    const before = await inRoom([], undefined, { storage });
    before.client.send('general', 'failed one');
    before.socket.take('sendMessage').answer({ ok: false, error: { code: 'UNAVAILABLE', message: 'Try again.' } });
    await flush();
    before.client.send('general', 'pending one'); // its ack never comes: the tab is reloaded
    before.client.stop();
    expect(JSON.parse(storage.getItem(outboxKey(ME.id))!)).toHaveLength(2);

    const after = setup(async () => ({ messages: [], hasMore: false }), undefined, {
      storage,
      newClientMsgId: () => 'fresh',
    });
    after.socket.serverAccepts();
    await after.client.openRoom('general');
    expect(room(after.client).timeline.outbox.map((o) => [o.clientMsgId, o.text, o.status])).toEqual([
      ['id-1', 'failed one', 'failed'],
      ['id-2', 'pending one', 'pending'],
    ]);
    const resent = await vi.waitFor(() => after.socket.take('sendMessage'));
    expect(resent.payload).toEqual({ roomId: 'general', clientMsgId: 'id-2', text: 'pending one' });
    expect(sendsEmitted(after.socket)).toHaveLength(0);
    resent.answer({ ok: true, message: mine(1, 'id-2', 'pending one') });
    await flush();
    expect(JSON.parse(storage.getItem(outboxKey(ME.id))!)).toEqual([
      expect.objectContaining({ clientMsgId: 'id-1', status: 'failed' }),
    ]);
  });

  it('keeps the outbox also after a stop and start of the same client (React StrictMode)', async () => {
    const storage = new MemoryStorage();
    const { client } = await inRoom([], undefined, { storage });
    client.stop();
    client.start();
    client.send('general', 'still kept');
    expect(JSON.parse(storage.getItem(outboxKey(ME.id))!)).toEqual([expect.objectContaining({ text: 'still kept' })]);
  });

  it('a kept send that history already holds (its ack was lost) is not sent again', async () => {
    const storage = new MemoryStorage();
    const before = await inRoom([], undefined, { storage });
    before.client.send('general', 'made it');
    before.client.stop();
    const after = setup(async () => ({ messages: [mine(1, 'id-1', 'made it')], hasMore: false }), undefined, {
      storage,
    });
    after.socket.serverAccepts();
    await after.client.openRoom('general');
    await flush();
    expect(room(after.client).timeline.outbox).toEqual([]);
    expect(sendsEmitted(after.socket)).toHaveLength(0);
  });

  it('drafts are kept per room across instances, and a send clears its room’s draft', async () => {
    const storage = new MemoryStorage();
    const first = await inRoom([], undefined, { storage });
    first.client.drafts.set('general', 'half-typed');
    first.client.drafts.set('random', 'other room');
    first.client.stop();
    const second = await inRoom([], undefined, { storage });
    expect(second.client.drafts.get('general')).toBe('half-typed');
    expect(second.client.drafts.get('random')).toBe('other room');
    second.client.send('general', 'half-typed, now done');
    expect(second.client.drafts.get('general')).toBe('');
    expect(second.client.drafts.get('random')).toBe('other room');
  });
});
