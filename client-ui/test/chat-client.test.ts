import type { HistoryResponse } from '@chat/contracts';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api/http.js';
import { flush, inRoom, joinAck, joinsEmitted, ME, room, seqs, setup, sleep } from './chat-client-harness.js';
import { ALICE_ID, message as msg } from './fixtures.js';

describe('ChatClient', () => {
  it('loads the newest page, then joins from its last seq', async () => {
    const { client, socket } = setup(async () => ({ messages: [msg(1), msg(2)], hasMore: false }));
    socket.serverAccepts();
    await client.openRoom('general');
    const join = socket.take('joinRoom');
    expect(join.payload).toEqual({ roomId: 'general', sinceSeq: 2 });
    join.answer({ ok: true, room: { id: 'general', lastSeq: 3, lastReadSeq: 0 }, missed: [msg(3)], hasMore: false });
    await flush();
    expect(seqs(client)).toEqual([1, 2, 3]);
    expect(client.getSnapshot().status).toBe('connected');
  });

  it('after a drop, rejoins every room with its last seq and merges what was missed, once each', async () => {
    const { client, socket } = setup(async () => ({ messages: [msg(1)], hasMore: false }));
    socket.serverAccepts();
    await client.openRoom('general');
    socket
      .take('joinRoom')
      .answer({ ok: true, room: { id: 'general', lastSeq: 1, lastReadSeq: 0 }, missed: [], hasMore: false });
    await flush();
    socket.fire('receiveMessage', msg(2));
    socket.drop();
    expect(client.getSnapshot().status).toBe('reconnecting');

    socket.serverAccepts();
    const rejoin = socket.take('joinRoom');
    expect(rejoin.payload).toEqual({ roomId: 'general', sinceSeq: 2 });
    rejoin.answer({
      ok: true,
      room: { id: 'general', lastSeq: 4, lastReadSeq: 0 },
      missed: [msg(2), msg(3), msg(4)],
      hasMore: false,
    });
    await flush();
    socket.fire('receiveMessage', msg(4));
    expect(seqs(client)).toEqual([1, 2, 3, 4]);
  });

  it('a join that cannot prove its batch complete is paged from history after its own sinceSeq, to the end', async () => {
    const pages: Record<string, HistoryResponse> = {
      '{}': { messages: [msg(1)], hasMore: false },
      '{"after":1}': { messages: [msg(2), msg(3)], hasMore: true },
      '{"after":3}': { messages: [msg(4), msg(5)], hasMore: false },
    };
    const { client, socket, history } = setup(async (_room, cursor) => pages[JSON.stringify(cursor)]!);
    socket.serverAccepts();
    await client.openRoom('general');
    // Persistence lags behind the recent buffer: the batch is the buffer's tail, the middle
    // is missing and the server says so (hasMore). Paging from the batch's end would skip it.
    socket.take('joinRoom').answer({
      ok: true,
      room: { id: 'general', lastSeq: 7, lastReadSeq: 0 },
      missed: [msg(6), msg(7)],
      hasMore: true,
    });
    await vi.waitFor(() => expect(seqs(client)).toEqual([1, 2, 3, 4, 5, 6, 7]));
    expect(history.mock.calls.map((c) => c[1])).toEqual([{}, { after: 1 }, { after: 3 }]);
    expect(room(client).timeline.watermark).toBe(7);
  });

  it('a hole in the live seqs that stays open is filled by a rejoin from before it, once', async () => {
    const { client, socket } = await inRoom([1, 2], 30);
    // 3 and 4 were lost on the way (this socket stayed connected).
    socket.fire('receiveMessage', msg(5));
    expect(joinsEmitted(socket)).toEqual([]);
    const resync = await vi.waitFor(() => socket.take('joinRoom'));
    expect(resync.payload).toEqual({ roomId: 'general', sinceSeq: 2 });
    resync.answer(joinAck(5, [msg(3), msg(4), msg(5)]));
    await vi.waitFor(() => expect(seqs(client)).toEqual([1, 2, 3, 4, 5]));
    await sleep(60);
    expect(joinsEmitted(socket)).toEqual([]);
  });

  it('a resync join that fails is tried again from the same seq (the server left the room)', async () => {
    const { client, socket } = await inRoom([1], 10);
    socket.fire('receiveMessage', msg(3));
    const first = await vi.waitFor(() => socket.take('joinRoom'));
    first.answer({ ok: false, error: { code: 'UNAVAILABLE', message: 'retry' } });
    const second = await vi.waitFor(() => socket.take('joinRoom'));
    expect(second.payload).toEqual({ roomId: 'general', sinceSeq: 1 });
    second.answer(joinAck(3, [msg(2), msg(3)]));
    await vi.waitFor(() => expect(seqs(client)).toEqual([1, 2, 3]));
  });

  it('a late broadcast lost across a reconnect is recovered: the rejoin starts below the hole', async () => {
    const { client, socket } = await inRoom([1], 20);
    socket.fire('receiveMessage', msg(4));
    socket.drop();
    await sleep(60); // the grace passes while disconnected
    socket.serverAccepts();
    // The server answers only what came after sinceSeq: from the watermark, not the last seq held.
    const rejoin = await vi.waitFor(() => socket.take('joinRoom'));
    expect(rejoin.payload).toEqual({ roomId: 'general', sinceSeq: 1 });
    rejoin.answer(joinAck(4, [msg(2), msg(3), msg(4)]));
    await vi.waitFor(() => expect(seqs(client)).toEqual([1, 2, 3, 4]));
    expect(room(client).timeline.watermark).toBe(4);
    await sleep(60);
    expect(joinsEmitted(socket)).toEqual([]);
  });

  it('a hole the complete rejoin does not fill was skipped for good: the next rejoin starts above it', async () => {
    const { client, socket } = await inRoom([1], 10);
    socket.fire('receiveMessage', msg(3));
    const resync = await vi.waitFor(() => socket.take('joinRoom'));
    expect(resync.payload).toEqual({ roomId: 'general', sinceSeq: 1 });
    resync.answer(joinAck(3)); // seq 2 does not exist (a failed send)
    await vi.waitFor(() => expect(room(client).timeline.watermark).toBe(3));
    socket.drop();
    socket.serverAccepts();
    expect((await vi.waitFor(() => socket.take('joinRoom'))).payload).toEqual({ roomId: 'general', sinceSeq: 3 });
  });

  it('an own ack that skips seqs opens the same watch', async () => {
    const { client, socket } = await inRoom([1], 10);
    client.send('general', 'mine');
    // Seq 2 (someone else's) was lost on the way; ours got 3.
    socket.take('sendMessage').answer({
      ok: true,
      message: msg(3, { senderId: ME.id, senderName: 'Me', clientMsgId: 'id-1', text: 'mine' }),
    });
    const resync = await vi.waitFor(() => socket.take('joinRoom'));
    expect(resync.payload).toEqual({ roomId: 'general', sinceSeq: 1 });
    resync.answer(joinAck(3, [msg(2)]));
    await vi.waitFor(() => expect(seqs(client)).toEqual([1, 2, 3]));
  });

  it('edits and reactions take room seqs of their own: no resync for them', async () => {
    const { client, socket } = await inRoom([1, 2], 30);
    socket.fire('messageUpdated', msg(1, { version: 3, text: 'edited' }));
    socket.fire('messageUpdated', msg(2, { version: 4, reactions: [{ emoji: '👍', userIds: [ALICE_ID] }] }));
    socket.fire('receiveMessage', msg(5));
    await sleep(60);
    expect(joinsEmitted(socket)).toEqual([]);
    expect(room(client).timeline.watermark).toBe(5);
  });

  it('a hole closed by a late broadcast within the grace needs no resync', async () => {
    const { client, socket } = await inRoom([1], 30);
    socket.fire('receiveMessage', msg(3));
    socket.fire('receiveMessage', msg(2));
    await sleep(60);
    expect(seqs(client)).toEqual([1, 2, 3]);
    expect(joinsEmitted(socket)).toEqual([]);
  });

  it('send: pending at once, sent on ack; a timeout fails it and Retry resends the same clientMsgId', async () => {
    const { client, socket } = await inRoom();

    client.send('general', 'first');
    expect(room(client).timeline.outbox).toEqual([expect.objectContaining({ clientMsgId: 'id-1', status: 'pending' })]);
    const first = socket.take('sendMessage');
    expect(first.payload).toEqual({ roomId: 'general', clientMsgId: 'id-1', text: 'first' });
    first.answer({
      ok: true,
      message: msg(1, { senderId: ME.id, senderName: 'Me', clientMsgId: 'id-1', text: 'first' }),
    });
    await flush();
    expect(room(client).timeline.outbox).toEqual([]);
    expect(seqs(client)).toEqual([1]);

    client.send('general', 'second');
    socket.take('sendMessage').fail();
    await flush();
    expect(room(client).timeline.outbox[0]).toMatchObject({ clientMsgId: 'id-2', status: 'failed' });

    client.retry('general', 'id-2');
    expect(room(client).timeline.outbox[0]).toMatchObject({ clientMsgId: 'id-2', status: 'pending' });
    expect(socket.take('sendMessage').payload).toEqual({ roomId: 'general', clientMsgId: 'id-2', text: 'second' });
  });

  it('sends written while offline stay pending and go out on connect; lost acks are resent once', async () => {
    const { client, socket } = await inRoom();
    client.send('general', 'in flight');
    socket.take('sendMessage'); // the connection drops before its ack
    socket.drop();
    client.send('general', 'written offline');
    expect(socket.emitted.filter((e) => e.event === 'sendMessage')).toHaveLength(0);
    expect(room(client).timeline.outbox.map((o) => o.status)).toEqual(['pending', 'pending']);

    socket.serverAccepts();
    socket.take('joinRoom');
    // One by one, in the order written.
    const first = socket.take('sendMessage');
    expect(first.payload).toEqual({ roomId: 'general', clientMsgId: 'id-1', text: 'in flight' });
    expect(socket.emitted.filter((e) => e.event === 'sendMessage')).toHaveLength(0);
    first.answer({ ok: true, message: msg(1, { senderId: ME.id, clientMsgId: 'id-1', text: 'in flight' }) });
    const second = await vi.waitFor(() => socket.take('sendMessage'));
    expect(second.payload).toEqual({ roomId: 'general', clientMsgId: 'id-2', text: 'written offline' });
    expect(socket.emitted.filter((e) => e.event === 'sendMessage')).toHaveLength(0);
  });

  it('an error ack marks the message failed with the server message', async () => {
    const { client, socket } = setup(async () => ({ messages: [], hasMore: false }));
    socket.serverAccepts();
    await client.openRoom('general');
    client.send('general', 'hello');
    socket.take('sendMessage').answer({ ok: false, error: { code: 'UNAVAILABLE', message: 'Try again shortly.' } });
    await flush();
    expect(room(client).timeline.outbox[0]).toMatchObject({ status: 'failed', error: 'Try again shortly.' });
  });

  it('a forbidden room shows its error and is never joined', async () => {
    const { client, socket } = setup(async () => {
      throw new ApiError(403, 'FORBIDDEN', 'You are not a member of this conversation.');
    });
    socket.serverAccepts();
    await client.openRoom('general');
    expect(room(client).fatalError).toBe('You are not a member of this conversation.');
    expect(socket.emitted.filter((e) => e.event === 'joinRoom')).toHaveLength(0);
  });

  it('a transient join failure is retried; a refusal is shown and not retried', async () => {
    const { client, socket } = setup(async () => ({ messages: [], hasMore: false }));
    socket.serverAccepts();
    await client.openRoom('general');
    socket.take('joinRoom').answer({ ok: false, error: { code: 'UNAVAILABLE', message: 'busy' } });
    await vi.waitFor(() => expect(socket.emitted.some((e) => e.event === 'joinRoom')).toBe(true));
    expect(room(client).fatalError).toBeUndefined();
    socket.take('joinRoom').answer({ ok: false, error: { code: 'FORBIDDEN', message: 'Not a member.' } });
    await flush();
    expect(room(client).fatalError).toBe('Not a member.');
    await new Promise((r) => setTimeout(r, 30));
    expect(socket.emitted.filter((e) => e.event === 'joinRoom')).toHaveLength(0);
  });

  it('a refused token sends the user back to log in', () => {
    const { socket, onUnauthorized } = setup(async () => ({ messages: [], hasMore: false }));
    socket.fire('connect_error', new Error('unauthorized'));
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('announces messages from others in the active room only', async () => {
    const { client, socket } = setup(async () => ({ messages: [], hasMore: false }));
    socket.serverAccepts();
    await client.openRoom('general');
    await client.openRoom('random');
    client.setActiveRoom('random');
    socket.fire('receiveMessage', msg(1, { id: 'r1', roomId: 'random', text: 'psst' }));
    socket.fire('receiveMessage', msg(1));
    expect(client.getSnapshot().announcement?.text).toBe('Alice: psst');
  });

  it('ignores malformed server events', async () => {
    const { client, socket } = setup(async () => ({ messages: [], hasMore: false }));
    await client.openRoom('general');
    socket.fire('receiveMessage', { roomId: 'general', text: '<b>no id</b>' });
    expect(room(client).timeline.messages).toEqual([]);
  });
});
