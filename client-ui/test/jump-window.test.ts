import { describe, expect, it } from 'vitest';
import { JUMP_CONTEXT, JUMP_MAX_PAGES, jumpPlan } from '../src/messages/jump-window.js';

describe('jumpPlan', () => {
  it('needs nothing when the message is within the loaded history', () => {
    expect(jumpPlan(500, 450, true)).toEqual({ kind: 'held' });
    expect(jumpPlan(450, 450, false)).toEqual({ kind: 'held' });
  });

  it('pages back just far enough, with some context above it, in pages of at most 100', () => {
    expect(jumpPlan(440, 450, true)).toEqual({ kind: 'pageBack', limit: 10 + JUMP_CONTEXT, pages: 1 });
    expect(jumpPlan(100, 450, true)).toEqual({ kind: 'pageBack', limit: 100, pages: 4 });
  });

  it('gives up beyond the bound, or when nothing older exists', () => {
    expect(jumpPlan(1, 1 + JUMP_MAX_PAGES * 100, true)).toEqual({ kind: 'unreachable' });
    expect(jumpPlan(10, 450, false)).toEqual({ kind: 'unreachable' });
    expect(jumpPlan(10, undefined, false)).toEqual({ kind: 'unreachable' });
  });
});
