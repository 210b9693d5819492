import { TYPING_TIMEOUT_MS } from '@chat/contracts';
import { describe, expect, it, vi } from 'vitest';
import {
  nextTypingExpiry,
  TYPING_RENEW_MS,
  typingChanged,
  typingExpired,
  TypingThrottle,
  typingLine,
  typistSent,
  type TypingByRoom,
} from '../src/rooms/typing.js';

const ev = (userId: string, typing = true, roomId = 'general') => ({
  roomId,
  userId,
  displayName: userId.toUpperCase(),
  typing,
});
const names = (s: TypingByRoom, roomId = 'general') => (s[roomId] ?? []).map((t) => t.name);

describe('the typing line', () => {
  it('names one, two, then says several', () => {
    expect(typingLine([])).toBeUndefined();
    expect(typingLine(['Ada'])).toBe('Ada is typing…');
    expect(typingLine(['Ada', 'Bob'])).toBe('Ada and Bob are typing…');
    expect(typingLine(['Ada', 'Bob', 'Cy'])).toBe('Several people are typing…');
  });
});

describe('who is typing', () => {
  it('adds on typing: true, drops on typing: false, each room apart', () => {
    let s = typingChanged({}, ev('ada'), 0);
    s = typingChanged(s, ev('bob'), 0);
    s = typingChanged(s, ev('cy', true, 'random'), 0);
    expect(names(s)).toEqual(['ADA', 'BOB']);
    s = typingChanged(s, ev('ada', false), 10);
    expect(names(s)).toEqual(['BOB']);
    expect(names(s, 'random')).toEqual(['CY']);
  });

  it(`drops an indicator ${TYPING_TIMEOUT_MS} ms after its last typing: true, a renewal keeps it`, () => {
    let s = typingChanged({}, ev('ada'), 0);
    s = typingChanged(s, ev('bob'), 0);
    s = typingChanged(s, ev('ada'), 4_000);
    expect(nextTypingExpiry(s)).toBe(TYPING_TIMEOUT_MS);
    expect(typingExpired(s, TYPING_TIMEOUT_MS - 1)).toBe(s);
    s = typingExpired(s, TYPING_TIMEOUT_MS);
    expect(names(s)).toEqual(['ADA']);
    s = typingExpired(s, 4_000 + TYPING_TIMEOUT_MS);
    expect(s).toEqual({});
    expect(nextTypingExpiry(s)).toBeUndefined();
  });

  it('drops the typist when their message arrives', () => {
    const s = typingChanged({}, ev('ada'), 0);
    expect(names(typistSent(s, 'general', 'ada'))).toEqual([]);
    expect(typistSent(s, 'general', 'bob')).toBe(s);
  });
});

describe('sending typing', () => {
  const throttle = () => {
    let now = 0;
    const send = vi.fn<(typing: boolean) => void>();
    const t = new TypingThrottle(send, () => now);
    return { t, send, at: (ms: number) => (now = ms) };
  };

  it('says typing: true at once, then at most once per renewal interval while the text changes', () => {
    const { t, send, at } = throttle();
    t.text('h');
    at(1_000);
    t.text('he');
    at(TYPING_RENEW_MS - 1);
    t.text('hel');
    expect(send.mock.calls).toEqual([[true]]);
    at(TYPING_RENEW_MS);
    t.text('hell');
    expect(send.mock.calls).toEqual([[true], [true]]);
  });

  it('says typing: false once on stop (send, blur) or when the text is cleared, and only after a start', () => {
    const { t, send } = throttle();
    t.stop();
    t.text('   ');
    expect(send).not.toHaveBeenCalled();
    t.text('hi');
    t.text('');
    t.stop();
    expect(send.mock.calls).toEqual([[true], [false]]);
    t.text('again');
    expect(send.mock.calls.at(-1)).toEqual([true]);
  });
});
