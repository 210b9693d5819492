import { describe, expect, it } from 'vitest';
import { messageIdFor, textHash } from '../../src/rooms/message-identity.js';

// Ids and text hashes of messages already sent must never change: a resend of an earlier
// message (same room, sender, clientMsgId) must map to the id and dedupe record it got then.
// These values were made by the earlier createHash() implementation.
describe('message identity', () => {
  it('keeps the UUIDv5 ids and text hashes of messages sent before', () => {
    expect(messageIdFor('general', '64b7f0c2a1b2c3d4e5f60718', 'c-1')).toBe('0b85994a-ba72-5169-b8e7-7e650c2cdb20');
    expect(textHash('héllo ✓')).toBe('VlfN74qFpYTg');
  });

  // Made by the buffer-slicing implementation before the hex one: its variant byte 8 starting
  // with each of 8, 9, a (b is above), and a non-ASCII name.
  it('keeps the version and variant bits of every id', () => {
    expect(messageIdFor('general', 'u-0', 'c-0')).toBe('20792286-2d2c-59f2-8f86-028ea504ab9f');
    expect(messageIdFor('general', 'u-6', 'c-6')).toBe('fb69ce57-4033-5d73-9043-794eb3ac73ef');
    expect(messageIdFor('general', 'u-2', 'c-2')).toBe('e14bfd46-0261-53cd-a403-a2646b3ef979');
    expect(messageIdFor('général ✓', 'ü', 'c-1')).toBe('c9ccaa20-10ec-5f22-b035-62bdb3774c9b');
  });

  it('keeps the three parts apart', () => {
    expect(messageIdFor('a', 'b,c', 'd')).not.toBe(messageIdFor('a,b', 'c', 'd'));
  });
});
