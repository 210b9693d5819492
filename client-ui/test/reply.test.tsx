import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReplyPreview } from '../src/components/ReplyPreview.js';
import { ReplyQuote } from '../src/components/ReplyQuote.js';
import { REPLY_EXCERPT_MAX } from '@chat/contracts';
import { replyExcerpt, replyToOf } from '../src/messages/reply.js';
import { message as msg } from './fixtures.js';

afterEach(cleanup);

describe('reply excerpt', () => {
  it('folds whitespace to one line and keeps short text whole', () => {
    expect(replyExcerpt('  first line\n\n  second\tline  ')).toBe('first line second line');
  });

  it(`cuts at ${REPLY_EXCERPT_MAX} characters with an ellipsis, never inside an emoji`, () => {
    const long = `${'a'.repeat(REPLY_EXCERPT_MAX - 2)}😀😀😀`;
    const cut = replyExcerpt(long);
    expect([...cut]).toHaveLength(REPLY_EXCERPT_MAX);
    expect(cut).toBe(`${'a'.repeat(REPLY_EXCERPT_MAX - 2)}😀…`);
    expect(replyExcerpt('b'.repeat(REPLY_EXCERPT_MAX))).toBe('b'.repeat(REPLY_EXCERPT_MAX));
  });

  it('quotes a message by id, seq and sender', () => {
    expect(replyToOf(msg(7, { text: 'the plan' }))).toEqual({
      id: 'm7',
      seq: 7,
      senderName: 'Alice',
      excerpt: 'the plan',
    });
  });
});

describe('reply preview and quote', () => {
  const replyTo = { id: 'm7', seq: 7, senderName: 'Alice', excerpt: 'the plan' };

  it('the preview above the composer names the sender and quote, and × cancels', async () => {
    const onCancel = vi.fn();
    render(<ReplyPreview replyTo={replyTo} onCancel={onCancel} />);
    expect(screen.getByTestId('reply-preview').textContent).toBe('Replying to Alicethe plan');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Cancel reply' }));
    expect(onCancel).toHaveBeenCalledOnce();
  });

  it('a sent reply’s quote jumps to the original; a deleted original reads “Message deleted”', async () => {
    const onJump = vi.fn();
    const { rerender } = render(<ReplyQuote replyTo={replyTo} onJump={onJump} />);
    await userEvent.setup().click(screen.getByRole('button', { name: /^In reply to Alice ?: the plan$/ }));
    expect(onJump).toHaveBeenCalledExactlyOnceWith(replyTo);
    rerender(<ReplyQuote replyTo={{ ...replyTo, excerpt: '' }} onJump={onJump} />);
    expect(screen.getByTestId('reply-quote').textContent).toBe('In reply to Alice: Message deleted');
  });
});
