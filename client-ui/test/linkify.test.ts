import { describe, expect, it } from 'vitest';
import { linkify, type TextPart } from '../src/text/linkify.js';

const links = (text: string) => linkify(text).filter((p) => p.kind === 'link');
const link = (text: string, href = text): TextPart => ({ kind: 'link', text, href });

describe('linkify', () => {
  it('keeps text without URLs as one text part, and empty text as none', () => {
    expect(linkify('just words, no links.')).toEqual([{ kind: 'text', text: 'just words, no links.' }]);
    expect(linkify('')).toEqual([]);
  });

  it('splits text around http and https URLs, keeping every character', () => {
    const text = 'See https://example.com/a?b=1#c and http://test.dev/x then go';
    const parts = linkify(text);
    expect(parts).toEqual([
      { kind: 'text', text: 'See ' },
      link('https://example.com/a?b=1#c'),
      { kind: 'text', text: ' and ' },
      link('http://test.dev/x'),
      { kind: 'text', text: ' then go' },
    ]);
    expect(parts.map((p) => p.text).join('')).toBe(text);
  });

  it('leaves trailing sentence punctuation out of the link', () => {
    for (const [text, url] of [
      ['Go to https://example.com.', 'https://example.com'],
      ['https://example.com/path, then', 'https://example.com/path'],
      ['(see https://example.com/x)', 'https://example.com/x'],
      ['Really https://example.com/?!', 'https://example.com/'],
      ['“https://example.com/q”', 'https://example.com/q'],
      ['[https://example.com/list]', 'https://example.com/list'],
      ['https://example.com/end...', 'https://example.com/end'],
    ] as const) {
      expect(links(text), text).toEqual([link(url, new URL(url).href)]);
    }
  });

  it('keeps balanced parentheses inside a URL (Wikipedia)', () => {
    const url = 'https://en.wikipedia.org/wiki/Mercury_(planet)';
    expect(links(`Read ${url}.`)).toEqual([link(url)]);
    expect(links(`(Read ${url})`)).toEqual([link(url)]);
  });

  it('never links other schemes, hostless or glued-on URLs', () => {
    for (const text of [
      'javascript:alert(1)',
      'JavaScript://%0Aalert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      'file:///etc/passwd',
      'ftp://example.com',
      'https://',
      'http:///path-only',
      'xhttps://example.com',
      'mailto:ada@example.com',
    ]) {
      expect(links(text), text).toEqual([]);
    }
  });

  it('links only the http part of a javascript: lure, with a normalised href', () => {
    expect(links('javascript:alert(1)//https://evil.example/')).toEqual([link('https://evil.example/')]);
    expect(links('HTTPS://Example.COM/Path')).toEqual([link('HTTPS://Example.COM/Path', 'https://example.com/Path')]);
  });

  it('ends a URL at whitespace and at markup delimiters', () => {
    expect(links('https://a.example/x<b>bold</b>')).toEqual([link('https://a.example/x')]);
    expect(links('line https://a.example/one\nhttps://b.example/two')).toEqual([
      link('https://a.example/one'),
      link('https://b.example/two'),
    ]);
  });
});
