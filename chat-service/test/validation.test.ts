import { randomUUID } from 'node:crypto';
import { MESSAGE_TEXT_MAX } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { type ClientSocket, connect, connected, emitRaw, send, tokenFor, useChatCluster, userFor } from './helpers.js';

const cluster = useChatCluster('chat-validation');

/** After every bad payload the same socket must still send. */
async function stillUsable(socket: ClientSocket): Promise<void> {
  expect(socket.connected).toBe(true);
  const ack = await send(socket, 'lobby', 'still here');
  expect(ack.ok).toBe(true);
}

const good = () => ({ roomId: 'lobby', clientMsgId: randomUUID(), text: 'hi' });

describe('bad input gets an error ack and the socket stays up', () => {
  const badSends: [string, unknown, string][] = [
    ['text of the wrong type', { ...good(), text: 42 }, 'text'],
    ['a missing text', { roomId: 'lobby', clientMsgId: 'x1' }, 'text'],
    ['a missing roomId', { clientMsgId: 'x2', text: 'hi' }, 'roomId'],
    ['text over 4000 characters', { ...good(), text: 'a'.repeat(MESSAGE_TEXT_MAX + 1) }, 'text'],
    ['whitespace-only text', { ...good(), text: '   \n ' }, 'text'],
    ['an upper-case room id', { ...good(), roomId: 'Lobby' }, 'roomId'],
    ['a room id with a slash', { ...good(), roomId: 'a/b' }, 'roomId'],
    ['an unsorted dm room id', { ...good(), roomId: `dm:${'b'.repeat(24)}:${'a'.repeat(24)}` }, 'roomId'],
    ['a clientMsgId with spaces', { ...good(), clientMsgId: 'a b' }, 'clientMsgId'],
    ['an unknown field', { ...good(), senderId: 'f'.repeat(24) }, ''],
    ['an operator object as room id', { ...good(), roomId: { $gt: '' } }, 'roomId'],
  ];
  it.each(badSends)('sendMessage with %s → INVALID', async (_what, payload, field) => {
    const socket = await connected(connect(cluster.url(), tokenFor(userFor())));
    const ack = await emitRaw(socket, 'sendMessage', payload);
    expect(ack).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    if (field) expect((ack as { error: { field?: string } }).error.field).toBe(field);
    await stillUsable(socket);
  });

  it.each([
    ['a string', 'lobby'],
    ['null', null],
    ['an array', ['lobby']],
    ['a number', 7],
  ])('payloads that are %s are INVALID for every event', async (_what, payload) => {
    const socket = await connected(connect(cluster.url(), tokenFor(userFor())));
    for (const event of ['joinRoom', 'leaveRoom', 'sendMessage']) {
      expect(await emitRaw(socket, event, payload)).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    }
    await stillUsable(socket);
  });

  it('rejects a negative or fractional sinceSeq and a malformed room id on join', async () => {
    const socket = await connected(connect(cluster.url(), tokenFor(userFor())));
    for (const payload of [
      { roomId: 'lobby', sinceSeq: -1 },
      { roomId: 'lobby', sinceSeq: 1.5 },
      { roomId: '' },
      { roomId: 'x'.repeat(65) },
    ]) {
      expect(await emitRaw(socket, 'joinRoom', payload)).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    }
    await stillUsable(socket);
  });

  it('survives an emit without an ack callback, and one with the callback in place of the payload', async () => {
    const socket = await connected(connect(cluster.url(), tokenFor(userFor())));
    (socket as unknown as { emit(ev: string, p: unknown): void }).emit('sendMessage', { text: 5 });
    (socket as unknown as { emit(ev: string, p: unknown): void }).emit('joinRoom', 'nope');
    expect(await emitRaw(socket, 'sendMessage')).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    await stillUsable(socket);
  });

  it('ignores unknown events', async () => {
    const socket = await connected(connect(cluster.url(), tokenFor(userFor())));
    (socket as unknown as { emit(ev: string, p: unknown): void }).emit('deleteEverything', {});
    await stillUsable(socket);
  });

  it('disconnects a client that sends a 100 KB frame (maxHttpBufferSize, by design)', async () => {
    const socket = await connected(connect(cluster.url(), tokenFor(userFor())));
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    (socket as unknown as { emit(ev: string, p: unknown): void }).emit('sendMessage', {
      ...good(),
      text: 'x'.repeat(100_000),
    });
    expect(await closed).toMatch(/transport (close|error)/);
    const other = await connected(connect(cluster.url(), tokenFor(userFor())));
    await stillUsable(other);
  });

  it('publishes none of the rejected sends', () => {
    expect(cluster.sink().messages.every((m) => m.text === 'still here')).toBe(true);
    expect(cluster.sink().messages.length).toBeGreaterThan(0);
  });
});
