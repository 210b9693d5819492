import type { Message } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { excerptAround, groupSearchResults, highlight } from '../src/search/search-results.js';

const msg = (id: string, roomId: string, text: string): Message => ({
  id,
  roomId,
  seq: 1,
  version: 1,
  senderId: 'a'.repeat(24),
  senderName: 'Ada',
  text,
  clientMsgId: `c-${id}`,
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('search results', () => {
  it('groups by room in the order of each room’s newest hit, hits kept newest first', () => {
    const groups = groupSearchResults(
      [msg('1', 'b', 'deploy now'), msg('2', 'a', 'deploy later'), msg('3', 'b', 'deployed')],
      'deploy',
    );
    expect(groups.map((g) => [g.roomId, g.hits.map((h) => h.message.id)])).toEqual([
      ['b', ['1', '3']],
      ['a', ['2']],
    ]);
  });

  it('marks every case-insensitive match as text runs', () => {
    expect(highlight('Deploy and DEPLOY <b>', 'deploy')).toEqual([
      { text: 'Deploy', match: true },
      { text: ' and ', match: false },
      { text: 'DEPLOY', match: true },
      { text: ' <b>', match: false },
    ]);
  });

  it('cuts a long text around the first match', () => {
    const text = `${'a '.repeat(100)}needle${' b'.repeat(200)}`;
    const excerpt = excerptAround(text, 'NEEDLE');
    expect(excerpt.startsWith('…')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerpt).toContain('needle');
    expect(excerpt.length).toBeLessThanOrEqual(162);
    expect(excerptAround('short needle', 'needle')).toBe('short needle');
  });
});
