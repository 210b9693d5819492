import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MessageRow } from '../src/components/MessageRow.js';

afterEach(cleanup);

const base = {
  id: 'm1',
  roomId: 'general',
  seq: 1,
  senderId: 'b'.repeat(24),
  senderName: 'Mallory',
  clientMsgId: 'c1',
  createdAt: '2026-01-01T12:00:00.000Z',
};

function renderRow(props: Partial<Parameters<typeof MessageRow>[0]> & { text: string }) {
  const { text, ...rest } = props;
  return render(
    <ol>
      <MessageRow message={{ ...base, text }} status="sent" own={false} continued={false} {...rest} />
    </ol>,
  );
}

describe('MessageRow', () => {
  it('renders markup in a message as text, never as HTML', () => {
    const text = '<img src=x onerror="window.__pwned=1"><b>bold</b> & <script>alert(1)</script>';
    const { container } = renderRow({ text });
    const body = screen.getByTestId('message-text');
    expect(body.textContent).toBe(text);
    expect(body.querySelector('img, b, script')).toBeNull();
    expect(container.querySelectorAll('img, script')).toHaveLength(0);
  });

  it('keeps line breaks as typed and shows the sender and time', () => {
    renderRow({ text: 'first line\nsecond line' });
    expect(screen.getByTestId('message-text').textContent).toBe('first line\nsecond line');
    expect(screen.getByText('Mallory')).toBeTruthy();
    expect(screen.getByRole('listitem').querySelector('time')?.getAttribute('datetime')).toBe(base.createdAt);
  });

  it('a failed own message offers Retry', async () => {
    const onRetry = vi.fn();
    renderRow({ text: 'try me', own: true, status: 'failed', onRetry });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Retry' }));
    expect(onRetry).toHaveBeenCalledExactlyOnceWith('c1');
  });

  it('a pending own message says it is sending', () => {
    renderRow({ text: 'on its way', own: true, status: 'pending' });
    expect(screen.getByText('Sending…')).toBeTruthy();
    expect(screen.getByTestId('message').dataset.status).toBe('pending');
  });
});
