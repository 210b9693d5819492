import type { Message } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { deleted, edited, mentionsOf } from '../../src/rooms/message-changes.js';

const base: Message = {
  id: 'm1',
  roomId: 'general',
  seq: 10,
  version: 10,
  senderId: 'a'.repeat(24),
  senderName: 'Ada',
  text: 'hi @bob',
  clientMsgId: 'c1',
  createdAt: '2026-11-30T12:00:00.000Z',
  mentions: ['bob'],
};

describe('mentions follow the text', () => {
  it('a message mentions the usernames its text @-mentions, and none when it has none', () => {
    expect(mentionsOf('ask @carol and @dave.k, not mail@example.com')).toEqual({ mentions: ['carol', 'dave.k'] });
    expect(mentionsOf('nobody here')).toEqual({});
  });
  it('an edit recomputes them: new names counted, removed ones gone', () => {
    expect(edited(base, 'hi @carol', '2026-11-30T12:01:00.000Z').mentions).toEqual(['carol']);
    expect(edited(base, 'hi all', '2026-11-30T12:01:00.000Z')).not.toHaveProperty('mentions');
  });
  it('a delete drops them with the text', () => {
    expect(deleted(base, '2026-11-30T12:02:00.000Z')).not.toHaveProperty('mentions');
  });
});
