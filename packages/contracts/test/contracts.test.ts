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
  queuedMessageSchema,
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
    for (const ok of ['a\tb\nc\r\nd', 'héllo 😀 👍🏽', '\u{1F600}']) expect(text(ok).success, JSON.stringify(ok)).toBe(true);
    for (const bad of ['a\u0000b', 'a\u0007b', 'a\u001bb', 'a\u007fb', 'a\uD800b', 'a\uDC00', '\uDE00\uD83D']) {
      expect(text(bad).success, JSON.stringify(bad)).toBe(false);
    }
    const name = (n: string) => registerBodySchema.safeParse({ username: 'alice', password: 'password1', displayName: n });
    expect(name('Alice 😀').success).toBe(true);
    for (const bad of ['a\u0000b', 'a\nb', 'a\tb', 'x\uD800']) expect(name(bad).success, JSON.stringify(bad)).toBe(false);
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
        room: { id: 'general', lastSeq: 7 },
        missed: [validMessage],
        hasMore: false,
      }).success,
    ).toBe(true);
  });
  it('messages and queued messages need every field', () => {
    expect(messageSchema.safeParse(validMessage).success).toBe(true);
    expect(queuedMessageSchema.safeParse({ ...validMessage, createdAt: 'yesterday' }).success).toBe(false);
    const { seq: _seq, ...noSeq } = validMessage;
    expect(queuedMessageSchema.safeParse(noSeq).success).toBe(false);
  });
});
