import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageRow } from '../src/components/MessageRow.js';

afterEach(cleanup);

const system = {
  id: 'm1',
  roomId: 'general',
  seq: 1,
  version: 1,
  senderId: '0'.repeat(24),
  senderName: 'Billing',
  text: '<b>Invoice</b> paid',
  clientMsgId: 'sys-1',
  createdAt: '2026-01-01T12:00:00.000Z',
  system: true as const,
};

describe('a system message', () => {
  it('is a notice without avatar or bubble, its text shown as text', () => {
    const { container } = render(
      <ol>
        <MessageRow message={system} status="sent" own={false} continued={false} />
      </ol>,
    );
    const row = screen.getByTestId('message');
    expect(row.dataset.system).toBe('true');
    expect(row.className).toBe('msg-system');
    expect(container.querySelector('.avatar, .msg__bubble, b')).toBeNull();
    expect(screen.getByTestId('message-text').textContent).toBe('<b>Invoice</b> paid');
    expect(screen.getByText('Billing')).toBeTruthy();
  });
});
