import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MessageRow } from '../src/components/MessageRow.js';

afterEach(cleanup);

const base = {
  id: 'm1',
  roomId: 'general',
  seq: 1,
  version: 1,
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

  it('renders http(s) URLs as links that open in a new tab without opener or referrer', () => {
    renderRow({ text: 'see https://example.com/a_(b). and javascript:alert(1)' });
    const links = screen.getAllByRole('link');
    expect(links).toHaveLength(1);
    expect(links[0]!.textContent).toBe('https://example.com/a_(b)');
    expect(links[0]!.getAttribute('href')).toBe('https://example.com/a_(b)');
    expect(links[0]!.getAttribute('target')).toBe('_blank');
    expect(links[0]!.getAttribute('rel')).toBe('noopener noreferrer');
    expect(screen.getByTestId('message-text').textContent).toBe(
      'see https://example.com/a_(b). and javascript:alert(1)',
    );
  });

  it('a link never carries markup: the text around and inside it stays text', () => {
    const text = 'https://example.com/"><img src=x onerror=alert(1)> <b>x</b>';
    const { container } = renderRow({ text });
    expect(screen.getByRole('link').getAttribute('href')).toBe('https://example.com/');
    expect(container.querySelectorAll('img, b')).toHaveLength(0);
    expect(screen.getByTestId('message-text').textContent).toBe(text);
  });

  it('its time is focusable and carries the full date and time for hover, focus and screen readers', () => {
    renderRow({ text: 'when?' });
    const time = screen.getByTestId('message-time');
    expect(time.tabIndex).toBe(0);
    expect(time.getAttribute('datetime')).toBe(base.createdAt);
    const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' }).format(
      new Date(base.createdAt),
    );
    expect(time.querySelector('.msg__time-full')?.textContent).toBe(full);
    expect(full).toMatch(/2026/);
  });
});
