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

  it('keeps the three parts apart', () => {
    expect(messageIdFor('a', 'b,c', 'd')).not.toBe(messageIdFor('a,b', 'c', 'd'));
  });
});
