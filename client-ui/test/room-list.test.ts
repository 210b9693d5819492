import { describe, expect, it } from 'vitest';
import {
  badgeCount,
  documentTitle,
  emptyRoomList,
  listLoaded,
  markerMoved,
  MEMBERSHIP_SETTLE_MS,
  messageReceived,
  messageUpdated,
  peerOf,
  roomAdded,
  roomRemoved,
  totalUnread,
  type RoomList,
} from '../src/rooms/room-list.js';
import { ALICE_ID, ME_ID, message, summary } from './fixtures.js';

const ids = (list: RoomList) => list.rooms.map((r) => r.id);
const entry = (list: RoomList, id: string) => list.rooms.find((r) => r.id === id)!;
const ctx = { meId: ME_ID, meUsername: 'me', reading: false };
const DM = `dm:${ME_ID}:${ALICE_ID}`;

describe('room list from the server', () => {
  it('takes the server list in its order, with counts, and the peer of a direct room', () => {
    const list = listLoaded(
      emptyRoomList,
      [summary('random', { unread: 3, mentions: 1 }), summary(DM, { peer: ALICE_ID })],
      ME_ID,
      0,
    );
    expect(ids(list)).toEqual(['random', DM]);
    expect(entry(list, 'random')).toMatchObject({ unread: 3, mentions: 1, readKnown: true });
    expect(entry(list, DM).peerId).toBe(ALICE_ID);
  });

  it('keeps a room joined here a moment ago that the server does not list yet, and drops it after', () => {
    const joined = roomAdded(emptyRoomList, 'fresh', ME_ID, 1_000);
    const soon = listLoaded(joined, [summary('old')], ME_ID, 2_000);
    expect(ids(soon)).toEqual(['fresh', 'old']);
    const later = listLoaded(soon, [summary('old')], ME_ID, 1_000 + MEMBERSHIP_SETTLE_MS);
    expect(ids(later)).toEqual(['old']);
  });

  it('once the server lists a room joined here, the server copy is the one held', () => {
    const joined = roomAdded(emptyRoomList, 'fresh', ME_ID, 1_000);
    const listed = listLoaded(joined, [summary('fresh', { unread: 2 })], ME_ID, 2_000);
    expect(listed.rooms).toHaveLength(1);
    expect(entry(listed, 'fresh').unread).toBe(2);
    expect(listed.added).toEqual({});
  });

  it('leaves out a room left here a moment ago that the server still lists', () => {
    const start = listLoaded(emptyRoomList, [summary('a'), summary('b')], ME_ID, 0);
    const left = roomRemoved(start, 'a', 1_000);
    expect(ids(left)).toEqual(['b']);
    expect(ids(listLoaded(left, [summary('a'), summary('b')], ME_ID, 2_000))).toEqual(['b']);
    // Joined again later: the leave no longer hides it.
    expect(ids(listLoaded(left, [summary('a'), summary('b')], ME_ID, 1_000 + MEMBERSHIP_SETTLE_MS))).toEqual([
      'a',
      'b',
    ]);
  });

  it('names the other member of a direct room from its id', () => {
    expect(peerOf(`dm:${ME_ID}:${ALICE_ID}`, ME_ID)).toBe(ALICE_ID);
    expect(peerOf(`dm:${ALICE_ID}:${ME_ID}`, ME_ID)).toBe(ALICE_ID);
    expect(peerOf('general', ME_ID)).toBeUndefined();
  });
});

describe('live messages', () => {
  const start = listLoaded(emptyRoomList, [summary('a'), summary('general'), summary('c')], ME_ID, 0);

  it("moves the room to the top, shows the message and counts someone else's as unread", () => {
    const next = messageReceived(start, message(6), ctx)!;
    expect(ids(next)).toEqual(['general', 'a', 'c']);
    expect(entry(next, 'general')).toMatchObject({ unread: 1, lastSeq: 6, lastMessage: { id: 'm6' } });
    expect(totalUnread(next)).toBe(1);
  });

  it('does not count own messages, nor messages in the room being read', () => {
    const own = messageReceived(start, message(6, { senderId: ME_ID }), ctx)!;
    expect(entry(own, 'general').unread).toBe(0);
    expect(ids(own)[0]).toBe('general');
    const reading = messageReceived(start, message(6), { ...ctx, reading: true })!;
    expect(entry(reading, 'general').unread).toBe(0);
  });

  it('counts a mention of the user apart, as well as unread', () => {
    const next = messageReceived(start, message(6, { mentions: ['me', 'zed'] }), ctx)!;
    expect(entry(next, 'general')).toMatchObject({ unread: 1, mentions: 1 });
    const other = messageReceived(start, message(6, { mentions: ['zed'] }), ctx)!;
    expect(entry(other, 'general').mentions).toBe(0);
  });

  it('counts a message once (a replay at or below the last seq changes nothing)', () => {
    const once = messageReceived(start, message(6), ctx)!;
    expect(messageReceived(once, message(6), ctx)).toBe(once);
    expect(messageReceived(once, message(4), ctx)).toBe(once);
  });

  it('answers undefined for a room not in the list (the list is reloaded)', () => {
    expect(messageReceived(start, message(1, { roomId: 'elsewhere' }), ctx)).toBeUndefined();
  });

  it('caps the count at 999 like the server', () => {
    const many = listLoaded(emptyRoomList, [summary('general', { unread: 999 })], ME_ID, 0);
    expect(entry(messageReceived(many, message(6), ctx)!, 'general').unread).toBe(999);
  });

  it('an edit of the last message updates the preview; of an older one, nothing', () => {
    const withLast = messageReceived(start, message(6), ctx)!;
    const edited = messageUpdated(withLast, message(6, { text: 'edited', version: 7 }));
    expect(entry(edited, 'general').lastMessage?.text).toBe('edited');
    expect(messageUpdated(withLast, message(2, { version: 8 }))).toBe(withLast);
  });
});

describe('read markers', () => {
  const start = listLoaded(
    emptyRoomList,
    [summary('general', { lastSeq: 10, lastReadSeq: 4, unread: 5, mentions: 2, lastMessage: message(10) })],
    ME_ID,
    0,
  );

  it('a marker at the last message clears unread and mentions', () => {
    expect(entry(markerMoved(start, 'general', 10), 'general')).toMatchObject({
      unread: 0,
      mentions: 0,
      lastReadSeq: 10,
    });
  });

  it('a marker short of it leaves at most what came after it', () => {
    expect(entry(markerMoved(start, 'general', 8), 'general')).toMatchObject({ unread: 2, mentions: 2 });
  });

  it('never moves back', () => {
    const read = markerMoved(start, 'general', 10);
    expect(markerMoved(read, 'general', 6)).toBe(read);
  });
});

describe('what the badges and the title say', () => {
  it('caps the badge at 99+', () => {
    expect(badgeCount(7)).toBe('7');
    expect(badgeCount(99)).toBe('99');
    expect(badgeCount(100)).toBe('99+');
  });

  it('puts the total unread in the title', () => {
    expect(documentTitle(0)).toBe('Chat');
    expect(documentTitle(3)).toBe('(3) Chat');
  });
});
