import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Composer } from '../src/components/Composer.js';

afterEach(cleanup);

function setup() {
  const onSend = vi.fn();
  render(<Composer label="Message #general" placeholder="Message #general" onSend={onSend} />);
  return { onSend, field: screen.getByLabelText('Message #general'), user: userEvent.setup() };
}

describe('Composer', () => {
  it('sends on Enter and clears the field', async () => {
    const { onSend, field, user } = setup();
    await user.type(field, 'hello{Enter}');
    expect(onSend).toHaveBeenCalledExactlyOnceWith('hello');
    expect(field).toHaveProperty('value', '');
  });

  it('Shift+Enter starts a new line instead of sending', async () => {
    const { onSend, field, user } = setup();
    await user.type(field, 'line one{Shift>}{Enter}{/Shift}line two');
    expect(onSend).not.toHaveBeenCalled();
    expect(field).toHaveProperty('value', 'line one\nline two');
    await user.keyboard('{Enter}');
    expect(onSend).toHaveBeenCalledExactlyOnceWith('line one\nline two');
  });

  it('does not send blank messages', async () => {
    const { onSend, field, user } = setup();
    await user.type(field, '   {Enter}');
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Send message' })).toHaveProperty('disabled', true);
  });

  it('the send button sends the trimmed text', async () => {
    const { onSend, field, user } = setup();
    await user.type(field, '  spaced out  ');
    await user.click(screen.getByRole('button', { name: 'Send message' }));
    expect(onSend).toHaveBeenCalledExactlyOnceWith('spaced out');
  });
});
