import { describe, expect, it } from 'vitest';
import {
  canAccessRoom,
  dmMembers,
  dmRoomId,
  errorBodySchema,
  historyQuerySchema,
  joinRoomAckSchema,
  joinRoomPayloadSchema,
  loginBodySchema,
  messageRoutingKey,
  messageSchema,
  parseQueuedBody,
  parseQueuedEvent,
  reactPayloadSchema,
  unknownQueuedEvent,
  editMessagePayloadSchema,
  registerBodySchema,
  roomIdSchema,
  sendMessageAckSchema,
  sendMessagePayloadSchema,
} from '../src/index.js';

const alice = 'a'.repeat(24);
const bob = 'b'.repeat(24);
const validMessage = {
  id: '01HZX3',
  roomId: 'general',
  seq: 7,
  version: 7,
  senderId: alice,
  senderName: 'Alice',
  text: 'hello',
  clientMsgId: 'c-1',
  createdAt: '2026-11-25T07:00:00.000Z',
};

describe('room ids', () => {
  it.each(['general', 'a', 'x'.repeat(64), 'team_1-ops', dmRoomId(bob, alice)])('accepts %s', (id) => {
    expect(roomIdSchema.safeParse(id).success).toBe(true);
  });
  it.each([
    '',
    'General',
    '-start',
    'x'.repeat(65),
    'a b',
    'dm:x:y',
    `dm:${bob}:${alice}`,
    `dm:${alice}:${alice}`,
    'a.b',
  ])('rejects %j', (id) => {
    expect(roomIdSchema.safeParse(id).success).toBe(false);
  });
  it('names a direct room the same from both sides and knows its members', () => {
    expect(dmRoomId(alice, bob)).toBe(dmRoomId(bob, alice));
    expect(dmMembers(dmRoomId(bob, alice))).toEqual([alice, bob]);
    expect(dmMembers('general')).toBeNull();
  });
  it('lets anyone into public rooms and only members into direct rooms', () => {
    const carol = 'c'.repeat(24);
    expect(canAccessRoom(carol, 'general')).toBe(true);
    expect(canAccessRoom(alice, dmRoomId(alice, bob))).toBe(true);
    expect(canAccessRoom(carol, dmRoomId(alice, bob))).toBe(false);
  });
  it('routes a room to messages.<roomId>, one topic word', () => {
    expect(messageRoutingKey(dmRoomId(alice, bob)).split('.')).toHaveLength(2);
  });
});

describe('HTTP bodies', () => {
  it('normalises usernames and accepts a valid registration', () => {
    const r = registerBodySchema.parse({ username: ' Alice_1 ', password: 'correct horse' });
    expect(r.username).toBe('alice_1');
  });
  it.each([
    [{ username: 'al', password: 'longenough' }, 'username'],
    [{ username: 'alice!', password: 'longenough' }, 'username'],
    [{ username: 'alice', password: 'short' }, 'password'],
    [{ username: 'alice', password: 'é'.repeat(37) }, 'password'], // 74 bytes
    [{ username: { $ne: null }, password: 'longenough' }, 'username'],
    [{ username: 'alice', password: 'longenough', isAdmin: true }, ''],
  ])('rejects registration %j at %s', (body, field) => {
    const r = registerBodySchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path.join('.')).toBe(field);
  });
  it('login takes any non-empty password but no operator objects', () => {
    expect(loginBodySchema.safeParse({ username: 'alice', password: 'x' }).success).toBe(true);
    expect(loginBodySchema.safeParse({ username: 'alice', password: { $gt: '' } }).success).toBe(false);
  });
  it('history query: defaults, bounds, one cursor, digits only', () => {
    expect(historyQuerySchema.parse({})).toEqual({ limit: 50 });
    expect(historyQuerySchema.parse({ limit: '100', before: '42' })).toEqual({ limit: 100, before: 42 });
    for (const bad of [
      { limit: '0' },
      { limit: '101' },
      { before: '-1' },
      { after: '1e3' },
      { before: '1', after: '2' },
      { x: '1' },
      { before: ['1'] },
    ]) {
      expect(historyQuerySchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
  it('error bodies have a known code', () => {
    expect(errorBodySchema.safeParse({ error: { code: 'CONFLICT', message: 'taken' } }).success).toBe(true);
    expect(errorBodySchema.safeParse({ error: { code: 'TEAPOT', message: 'no' } }).success).toBe(false);
  });
});

describe('socket payloads and acks', () => {
  it('trims text and bounds it to 4000 characters', () => {
    const ok = sendMessagePayloadSchema.parse({ roomId: 'general', clientMsgId: 'm1', text: '  hi  ' });
    expect(ok.text).toBe('hi');
    expect(
      sendMessagePayloadSchema.safeParse({ roomId: 'general', clientMsgId: 'm1', text: 'x'.repeat(4000) }).success,
    ).toBe(true);
    for (const bad of [
      { roomId: 'general', clientMsgId: 'm1', text: 'x'.repeat(4001) },
      { roomId: 'general', clientMsgId: 'm1', text: '   ' },
      { roomId: 'general', clientMsgId: 'm 1', text: 'hi' },
      { roomId: 'general', text: 'hi' },
      { roomId: 'general', clientMsgId: 'm1', text: 5 },
      { roomId: 'general', clientMsgId: 'm1', text: 'hi', senderId: alice },
    ]) {
      expect(sendMessagePayloadSchema.safeParse(bad).success, JSON.stringify(bad).slice(0, 80)).toBe(false);
    }
  });
  it('refuses text no store can hold: NUL, other controls, unpaired surrogates; keeps tabs, newlines, emoji', () => {
    const text = (t: string) => sendMessagePayloadSchema.safeParse({ roomId: 'general', clientMsgId: 'm1', text: t });
    for (const ok of ['a\tb\nc\r\nd', 'héllo 😀 👍🏽', '\u{1F600}'])
      expect(text(ok).success, JSON.stringify(ok)).toBe(true);
    for (const bad of ['a\u0000b', 'a\u0007b', 'a\u001bb', 'a\u007fb', 'a\uD800b', 'a\uDC00', '\uDE00\uD83D']) {
      expect(text(bad).success, JSON.stringify(bad)).toBe(false);
    }
    const name = (n: string) =>
      registerBodySchema.safeParse({ username: 'alice', password: 'password1', displayName: n });
    expect(name('Alice 😀').success).toBe(true);
    for (const bad of ['a\u0000b', 'a\nb', 'a\tb', 'x\uD800'])
      expect(name(bad).success, JSON.stringify(bad)).toBe(false);
  });
  it('joinRoom takes an optional non-negative sinceSeq', () => {
    expect(joinRoomPayloadSchema.safeParse({ roomId: 'general', sinceSeq: 3 }).success).toBe(true);
    expect(joinRoomPayloadSchema.safeParse({ roomId: 'general', sinceSeq: -1 }).success).toBe(false);
    expect(joinRoomPayloadSchema.safeParse({ roomId: 'general', sinceSeq: 1.5 }).success).toBe(false);
  });
  it('acks are either ok with their data or an error', () => {
    expect(sendMessageAckSchema.safeParse({ ok: true, message: validMessage }).success).toBe(true);
    expect(
      sendMessageAckSchema.safeParse({ ok: false, error: { code: 'UNAVAILABLE', message: 'retry' } }).success,
    ).toBe(true);
    expect(sendMessageAckSchema.safeParse({ ok: true }).success).toBe(false);
    expect(
      joinRoomAckSchema.safeParse({
        ok: true,
        room: { id: 'general', lastSeq: 7, lastReadSeq: 5 },
        missed: [validMessage],
        hasMore: false,
      }).success,
    ).toBe(true);
    expect(
      joinRoomAckSchema.safeParse({ ok: true, room: { id: 'general', lastSeq: 7 }, missed: [], hasMore: false })
        .success,
    ).toBe(false);
  });
  it('messages and queued messages need every field', () => {
    expect(messageSchema.safeParse(validMessage).success).toBe(true);
    const envelope = (message: unknown) => ({ v: 1, type: 'message', message });
    expect(parseQueuedEvent(envelope({ ...validMessage, createdAt: 'yesterday' })).success).toBe(false);
    const { seq: _seq, ...noSeq } = validMessage;
    expect(parseQueuedEvent(envelope(noSeq)).success).toBe(false);
    expect(parseQueuedEvent(noSeq).success).toBe(false);
  });
});

describe('Message v2', () => {
  const edited = {
    ...validMessage,
    version: 9,
    text: '',
    editedAt: '2026-11-25T07:01:00.000Z',
    deletedAt: '2026-11-25T07:02:00.000Z',
    replyTo: { id: 'x', seq: 3, senderName: 'Bob', excerpt: '' },
    reactions: [{ emoji: '👍', userIds: [alice, bob] }],
    attachments: [{ id: 'f1', name: 'a.png', size: 10, contentType: 'image/png' }],
    system: true,
  };
  it('carries version, edits, deletes, replies, reactions and attachments', () => {
    expect(messageSchema.parse(edited)).toEqual(edited);
    expect(messageSchema.safeParse({ ...validMessage, version: undefined }).success).toBe(false);
  });
  it('refuses a long excerpt, a repeated emoji, more than 20 emoji and an empty reaction', () => {
    const bad = [
      { ...edited, replyTo: { ...edited.replyTo, excerpt: 'x'.repeat(141) } },
      { ...edited, reactions: [edited.reactions[0], edited.reactions[0]] },
      { ...edited, reactions: Array.from({ length: 21 }, (_, i) => ({ emoji: `e${i}`, userIds: [alice] })) },
      { ...edited, reactions: [{ emoji: '👍', userIds: [] }] },
    ];
    for (const m of bad) expect(messageSchema.safeParse(m).success).toBe(false);
  });
});

describe('room event payloads', () => {
  const base = { roomId: 'general', messageId: '6f1c2a9e-8b3d-5e57-a0c4-d2f1e9b87a35' };
  it('emoji: 1-16 code points, no whitespace', () => {
    const react = (emoji: string) => reactPayloadSchema.safeParse({ ...base, emoji, add: true }).success;
    expect(react('👍')).toBe(true);
    expect(react('👨‍👩‍👧‍👦')).toBe(true);
    expect(react('')).toBe(false);
    expect(react('a b')).toBe(false);
    expect(react('x'.repeat(17))).toBe(false);
    expect(react('\u0000')).toBe(false);
  });
  it('edit text follows the send rules; message ids are plain id characters', () => {
    expect(editMessagePayloadSchema.safeParse({ ...base, text: '  fixed ' }).data?.text).toBe('fixed');
    expect(editMessagePayloadSchema.safeParse({ ...base, text: '   ' }).success).toBe(false);
    expect(editMessagePayloadSchema.safeParse({ ...base, messageId: 'a:b', text: 'x' }).success).toBe(false);
  });
  it('a send needs text unless it carries attachments', () => {
    const send = { roomId: 'general', clientMsgId: 'c1' };
    expect(sendMessagePayloadSchema.safeParse({ ...send, text: ' ' }).success).toBe(false);
    expect(sendMessagePayloadSchema.safeParse({ ...send, text: '', attachmentIds: ['f1'] }).success).toBe(true);
    expect(sendMessagePayloadSchema.safeParse({ ...send, text: 'hi', replyToId: base.messageId }).success).toBe(true);
  });
});

describe('queue envelope', () => {
  it('reads a legacy bare Message as a message event with version = seq', () => {
    const { version: _v, ...legacy } = validMessage;
    expect(parseQueuedEvent(legacy).data).toEqual({ v: 1, type: 'message', message: validMessage });
  });
  it('reads each known type', () => {
    for (const type of ['message', 'edit', 'delete', 'reaction'])
      expect(parseQueuedEvent({ v: 1, type, message: validMessage }).success).toBe(true);
  });
  it('names an unknown type or version, and lets a bare Message through', () => {
    expect(unknownQueuedEvent({ v: 1, type: 'pin', message: validMessage })).toMatch(/unknown event type "pin"/);
    expect(unknownQueuedEvent({ v: 2, type: 'message', message: validMessage })).toMatch(/unknown envelope version 2/);
    expect(unknownQueuedEvent(validMessage)).toBeNull();
    expect(unknownQueuedEvent({ v: 1, type: 'edit', message: validMessage })).toBeNull();
  });
  it('reads membership and read envelopes, and reports them against their own shape', () => {
    const membership = {
      v: 1,
      type: 'membership',
      membership: { roomId: 'general', userId: alice, member: true, at: 5 },
    };
    const read = { v: 1, type: 'read', read: { roomId: 'general', userId: alice, seq: 3 } };
    expect(parseQueuedBody(membership).data).toEqual(membership);
    expect(parseQueuedBody(read).data).toEqual(read);
    expect(unknownQueuedEvent(membership)).toBeNull();
    expect(unknownQueuedEvent(read)).toBeNull();
    expect(parseQueuedBody({ ...read, read: { ...read.read, seq: -1 } }).success).toBe(false);
    expect(parseQueuedBody({ ...membership, membership: { ...membership.membership, userId: 'x' } }).success).toBe(
      false,
    );
    expect(parseQueuedBody({ v: 1, type: 'edit', message: validMessage }).success).toBe(true);
    // Room-event readers (chat-service's tests) still see only room events.
    expect(parseQueuedEvent(read).success).toBe(false);
  });
});
