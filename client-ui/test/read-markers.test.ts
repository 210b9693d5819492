import { describe, expect, it } from 'vitest';
import { markReadTarget, seenMessageId, unreadDividerId } from '../src/rooms/read-markers.js';
import { ME_ID, message } from './fixtures.js';

const mine = (seq: number, over = {}) => message(seq, { senderId: ME_ID, ...over });
const timeline = [message(1), message(2), mine(3), message(4), message(5), mine(6), message(7)];

describe('the "New messages" divider', () => {
  it('goes above the first message from someone else after the read marker held when the room was opened', () => {
    expect(unreadDividerId(timeline, ME_ID, { lastReadSeq: 2, lastSeq: 7 })).toBe('m4');
    expect(unreadDividerId(timeline, ME_ID, { lastReadSeq: 0, lastSeq: 7 })).toBe('m1');
  });

  it('is absent when everything was read, or before the marker is known', () => {
    expect(unreadDividerId(timeline, ME_ID, { lastReadSeq: 7, lastSeq: 7 })).toBeUndefined();
    expect(unreadDividerId(timeline, ME_ID, undefined)).toBeUndefined();
  });

  it('does not move to messages arriving after the room was opened', () => {
    expect(unreadDividerId(timeline, ME_ID, { lastReadSeq: 5, lastSeq: 5 })).toBeUndefined();
    expect(unreadDividerId(timeline, ME_ID, { lastReadSeq: 5, lastSeq: 7 })).toBe('m7');
  });
});

describe('"Seen" in a direct room', () => {
  it('goes under the last own message the peer has read', () => {
    expect(seenMessageId(timeline, ME_ID, 5)).toBe('m3');
    expect(seenMessageId(timeline, ME_ID, 6)).toBe('m6');
    expect(seenMessageId(timeline, ME_ID, 100)).toBe('m6');
  });

  it('is absent before the peer read any own message, or when their marker is unknown', () => {
    expect(seenMessageId(timeline, ME_ID, 2)).toBeUndefined();
    expect(seenMessageId(timeline, ME_ID, undefined)).toBeUndefined();
  });

  it('skips a deleted message', () => {
    const withDeleted = [mine(1), mine(2, { deletedAt: '2026-01-01T00:00:00.000Z' })];
    expect(seenMessageId(withDeleted, ME_ID, 2)).toBe('m1');
  });
});

describe('what to mark read', () => {
  it('the newest message held, only past what was marked', () => {
    expect(markReadTarget(timeline, 3)).toBe(7);
    expect(markReadTarget(timeline, 7)).toBeUndefined();
    expect(markReadTarget([], -1)).toBeUndefined();
  });
});
