import { dmRoomId, type Message } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { MuteStore, mutedRoomsKey } from '../src/notifications/mute-store.js';
import { notificationText, shouldNotify, type NotifyInput } from '../src/notifications/notify-decision.js';

const me = { id: 'b'.repeat(24), username: 'bob' };
const other = 'a'.repeat(24);
const msg = (over: Partial<Message>): Message => ({
  id: 'm1',
  roomId: 'general',
  seq: 1,
  version: 1,
  senderId: other,
  senderName: 'Ada',
  text: 'hello',
  clientMsgId: 'c1',
  createdAt: '2026-01-01T00:00:00.000Z',
  ...over,
});
const input = (over: Partial<NotifyInput>): NotifyInput => ({
  message: msg({ text: 'hi @bob', mentions: ['bob'] }),
  me,
  permission: 'granted',
  visibility: 'hidden',
  muted: false,
  ...over,
});

describe('shouldNotify', () => {
  it('notifies a mention or a direct message while the tab is hidden', () => {
    expect(shouldNotify(input({}))).toBe(true);
    expect(shouldNotify(input({ message: msg({ roomId: dmRoomId(me.id, other) }) }))).toBe(true);
    // No server list: the same rule applied to the text.
    expect(shouldNotify(input({ message: msg({ text: 'ping @bob.' }) }))).toBe(true);
  });

  it('stays quiet otherwise', () => {
    expect(shouldNotify(input({ visibility: 'visible' }))).toBe(false);
    expect(shouldNotify(input({ permission: 'default' }))).toBe(false);
    expect(shouldNotify(input({ permission: 'unsupported' }))).toBe(false);
    expect(shouldNotify(input({ muted: true }))).toBe(false);
    expect(shouldNotify(input({ message: msg({ text: 'hello all' }) }))).toBe(false);
    expect(shouldNotify(input({ message: msg({ text: 'hi @bobby', mentions: ['bobby'] }) }))).toBe(false);
    expect(shouldNotify(input({ message: msg({ senderId: me.id, text: '@bob' }) }))).toBe(false);
    expect(shouldNotify(input({ message: msg({ text: '@bob', system: true }) }))).toBe(false);
  });

  it('says who and where, or what files came', () => {
    expect(notificationText(msg({ text: 'hi @bob' }), '#general')).toEqual({
      title: 'Ada in #general',
      body: 'hi @bob',
    });
    const dm = msg({
      roomId: dmRoomId(me.id, other),
      text: '',
      attachments: [{ id: 'f', name: 'a.pdf', size: 1, contentType: 'application/pdf' }],
    });
    expect(notificationText(dm, 'Ada')).toEqual({ title: 'Ada', body: 'Sent a file: a.pdf' });
  });
});

describe('MuteStore', () => {
  it('keeps muted rooms per user across instances', () => {
    const storage = new Map<string, string>();
    const fake = {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => void storage.set(k, v),
      removeItem: (k: string) => void storage.delete(k),
    } as unknown as Storage;
    const mutes = new MuteStore(me.id, fake);
    mutes.setMuted('general', true);
    expect(new MuteStore(me.id, fake).isMuted('general')).toBe(true);
    expect(new MuteStore(other, fake).isMuted('general')).toBe(false);
    expect(JSON.parse(storage.get(mutedRoomsKey(me.id))!)).toEqual(['general']);
    mutes.setMuted('general', false);
    expect(new MuteStore(me.id, fake).isMuted('general')).toBe(false);
  });
});
