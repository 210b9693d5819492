import { describe, expect, it } from 'vitest';
import {
  extractMentions,
  markReadPayloadSchema,
  mentionRanges,
  onlineUserIds,
  searchQuerySchema,
  typingPayloadSchema,
} from '../src/index.js';

describe('extractMentions', () => {
  it('finds @usernames once each, in order, lowercase only, ignoring e-mail addresses', () => {
    expect(extractMentions('hi @alice and @bob.smith, @alice again; mail bob@example.com')).toEqual([
      'alice',
      'bob.smith',
    ]);
  });
  it('ends a name at a sentence dot and refuses names outside the username rules', () => {
    expect(extractMentions('thanks @carol. @ab is too short, @Dave has capitals')).toEqual(['carol']);
  });
  it('keeps at most 20', () => {
    const text = Array.from({ length: 30 }, (_, i) => `@user${i}`).join(' ');
    expect(extractMentions(text)).toHaveLength(20);
  });
});

describe('mentionRanges', () => {
  it('gives where each @username stands, without a sentence dot, repeats included', () => {
    const text = 'hi @alice. @bob.smith and @alice; bob@example.com';
    const ranges = mentionRanges(text);
    expect(ranges.map((r) => text.slice(r.start, r.end))).toEqual(['@alice', '@bob.smith', '@alice']);
    expect(ranges.map((r) => r.username)).toEqual(['alice', 'bob.smith', 'alice']);
  });
});

describe('onlineUserIds', () => {
  it('counts a user online while any of their connections is unexpired', () => {
    const online = onlineUserIds(
      [
        ['u1:c1', 900],
        ['u1:c2', 1100],
        ['u2:c3', 999],
        ['u3:c4', 2000],
      ],
      1000,
    );
    expect([...online].sort()).toEqual(['u1', 'u3']);
  });
});

describe('membership payloads', () => {
  it('refuses a negative seq, extra fields and a non-boolean typing flag', () => {
    expect(markReadPayloadSchema.safeParse({ roomId: 'general', seq: -1 }).success).toBe(false);
    expect(markReadPayloadSchema.safeParse({ roomId: 'general', seq: 5, x: 1 }).success).toBe(false);
    expect(typingPayloadSchema.safeParse({ roomId: 'general', typing: 'yes' }).success).toBe(false);
    expect(typingPayloadSchema.safeParse({ roomId: 'general', typing: true }).success).toBe(true);
  });
  it('search takes q of 2-100 characters and a limit up to 50', () => {
    expect(searchQuerySchema.safeParse({ q: 'a' }).success).toBe(false);
    expect(searchQuerySchema.parse({ q: 'hello', limit: '5' }).limit).toBe(5);
    expect(searchQuerySchema.safeParse({ q: 'hello', limit: '51' }).success).toBe(false);
  });
});
