import { describe, expect, it } from 'vitest';
import { messageParts } from '../src/text/message-parts.js';

describe('messageParts', () => {
  it('marks @mentions as their own runs, the reader’s as own, around plain text', () => {
    expect(messageParts('hi @alice and @bob.', 'bob')).toEqual([
      { kind: 'text', text: 'hi ' },
      { kind: 'mention', text: '@alice', username: 'alice', own: false },
      { kind: 'text', text: ' and ' },
      { kind: 'mention', text: '@bob', username: 'bob', own: true },
      { kind: 'text', text: '.' },
    ]);
  });

  it('keeps links whole and leaves e-mail addresses and markup as text', () => {
    expect(messageParts('see https://x.example/@alice or mail a@b.example <b>@carol</b>')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://x.example/@alice', href: 'https://x.example/@alice' },
      { kind: 'text', text: ' or mail a@b.example <b>' },
      { kind: 'mention', text: '@carol', username: 'carol', own: false },
      { kind: 'text', text: '</b>' },
    ]);
  });

  it('does not mark names outside the username rules', () => {
    expect(messageParts('@ab @Dave')).toEqual([{ kind: 'text', text: '@ab @Dave' }]);
  });
});
