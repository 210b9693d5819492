import type { Message } from '@chat/contracts';
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Composer } from '../src/components/Composer.js';
import { MessageRow } from '../src/components/MessageRow.js';
import { ReaderContext } from '../src/files/file-access.js';
import { message } from './fixtures.js';

afterEach(cleanup);

const withFiles = message(1, {
  text: 'hi @bob and @carol',
  attachments: [
    { id: 'f1', name: 'photo.png', size: 2048, contentType: 'image/png' },
    { id: 'f2', name: 'report.pdf', size: 3 * 1024 * 1024, contentType: 'application/pdf' },
  ],
});
const reader = { username: 'bob', token: () => 't', onUnauthorized: () => undefined };

function renderRow(m: Message) {
  return render(
    <ReaderContext value={reader}>
      <ol>
        <MessageRow message={m} status="sent" own={false} continued={false} />
      </ol>
    </ReaderContext>,
  );
}

describe('a message with files', () => {
  it('shows images as previews and other files as cards with name, size and download', () => {
    renderRow(withFiles);
    expect(screen.getByRole('button', { name: 'Open image photo.png (2 KB)' })).toBeTruthy();
    const card = screen.getByTestId('attachment-file');
    expect(card.textContent).toContain('report.pdf');
    expect(card.textContent).toContain('3 MB');
    expect(screen.getByRole('button', { name: 'Download report.pdf' })).toBeTruthy();
  });

  it('marks mentions as text spans, the reader’s own apart', () => {
    renderRow(withFiles);
    const mentions = [...document.querySelectorAll('.mention')].map((el) => [el.textContent, el.className]);
    expect(mentions).toEqual([
      ['@bob', 'mention mention--me'],
      ['@carol', 'mention'],
    ]);
  });

  it('shows no files once the message is deleted', () => {
    renderRow({ ...withFiles, text: '', deletedAt: '2026-01-01T12:01:00.000Z' });
    expect(screen.queryByTestId('attachments')).toBeNull();
    expect(screen.getByTestId('message-text').textContent).toBe('Message deleted');
  });
});

describe('Composer with files', () => {
  const files = (over: { ready: boolean; blocked: boolean }) => ({
    tray: null,
    attachButton: null,
    onPaste: vi.fn(),
    ...over,
  });

  it('sends files without text once they are uploaded, not while one is uploading', async () => {
    const onSend = vi.fn();
    const { rerender } = render(
      <Composer label="Message" placeholder="" onSend={onSend} files={files({ ready: false, blocked: true })} />,
    );
    const send = screen.getByRole('button', { name: /^Send message/ });
    expect(send).toHaveProperty('disabled', true);
    rerender(
      <Composer label="Message" placeholder="" onSend={onSend} files={files({ ready: true, blocked: false })} />,
    );
    await userEvent.setup().click(send);
    expect(onSend).toHaveBeenCalledExactlyOnceWith('');
  });

  it('takes pasted files instead of pasting text', () => {
    const f = files({ ready: false, blocked: false });
    render(<Composer label="Message" placeholder="" onSend={vi.fn()} files={f} />);
    const image = new File(['x'], 'image.png', { type: 'image/png' });
    const event = new Event('paste', { bubbles: true, cancelable: true });
    Object.defineProperty(event, 'clipboardData', { value: { files: [image], types: ['Files'] } });
    screen.getByLabelText('Message').dispatchEvent(event);
    expect(f.onPaste).toHaveBeenCalledExactlyOnceWith([image]);
    expect(event.defaultPrevented).toBe(true);
  });
});
