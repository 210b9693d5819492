import { describe, expect, it } from 'vitest';
import { neighbourRoom, sidebarOrder } from '../src/components/room-order.js';
import { roomResults, searchResults } from '../src/components/switcher-results.js';
import type { RoomEntry } from '../src/rooms/room-list-store.js';

const ada = { id: 'a'.repeat(24), username: 'ada', displayName: 'Ada Lovelace' };
const rooms: RoomEntry[] = [
  { id: 'random' },
  { id: `dm:${'a'.repeat(24)}:${'b'.repeat(24)}`, peer: ada },
  { id: 'general' },
  { id: 'design-team' },
];
const none = () => 0;
const labels = (query: string) => roomResults(query, rooms, none).items.map((i) => i.label);

describe('sidebar order and Alt+↑/↓', () => {
  it('lists public rooms, then direct conversations, each in joined order', () => {
    expect(sidebarOrder(rooms).map((r) => r.id)).toEqual(['random', 'general', 'design-team', rooms[1]!.id]);
  });

  it('steps to the neighbour and wraps at both ends', () => {
    expect(neighbourRoom(rooms, 'general', 1)?.id).toBe('design-team');
    expect(neighbourRoom(rooms, 'general', -1)?.id).toBe('random');
    expect(neighbourRoom(rooms, 'random', -1)?.id).toBe(rooms[1]!.id);
    expect(neighbourRoom(rooms, rooms[1]!.id, 1)?.id).toBe('random');
    expect(neighbourRoom(rooms, undefined, 1)?.id).toBe('random');
    expect(neighbourRoom([], 'general', 1)).toBeUndefined();
  });
});

describe('quick switcher results', () => {
  it('lists every conversation in sidebar order for an empty query', () => {
    expect(labels('')).toEqual(['random', 'general', 'design-team', 'Ada Lovelace']);
  });

  it('matches room names, display names and usernames, prefix matches first', () => {
    expect(labels('de')).toEqual(['design-team', 'Join #de']);
    expect(labels('a')).toEqual(['Ada Lovelace', 'random', 'general', 'design-team', 'Join #a']);
    expect(labels('LOVE')).toEqual(['Ada Lovelace', 'Join #love']);
    expect(labels('@ada')).toEqual(['Ada Lovelace']);
    expect(labels('team')).toEqual(['design-team', 'Join #team']);
  });

  it('offers to join a public room not in the list, but never an invalid name or one already joined', () => {
    const join = roomResults('#Kitchen', rooms, none).items.at(-1);
    expect(join).toMatchObject({ label: 'Join #kitchen', action: { kind: 'join', name: 'kitchen' } });
    expect(labels('general')).toEqual(['general']);
    expect(labels('no spaces!')).toEqual([]);
  });

  it('opens the room it names and carries its unread count', () => {
    const [item] = roomResults('gen', rooms, (id) => (id === 'general' ? 3 : 0)).items;
    expect(item).toMatchObject({ action: { kind: 'open', roomId: 'general' }, unread: 3, avatar: undefined });
  });

  it('shows a person with their avatar and username', () => {
    const [item] = roomResults('ada', rooms, none).items;
    expect(item).toMatchObject({
      label: 'Ada Lovelace',
      detail: '@ada · direct message',
      avatar: { name: 'Ada Lovelace', seed: ada.id },
      action: { kind: 'open', roomId: rooms[1]!.id },
    });
  });
});

describe('searchResults', () => {
  it('offers message search for the query from 2 characters on', () => {
    expect(searchResults('a').items).toEqual([]);
    expect(searchResults('  deploy ').items.map((i) => [i.label, i.action])).toEqual([
      ['Search messages for “deploy”', { kind: 'search', query: 'deploy' }],
    ]);
  });
});
