import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Composer } from '../src/components/Composer.js';

afterEach(cleanup);

describe('Composer drafts', () => {
  it('starts from the kept draft and reports every change, the clear after a send included', async () => {
    const onTextChange = vi.fn();
    const onSend = vi.fn();
    render(
      <Composer
        label="Message #general"
        placeholder=""
        initialText="half-typ"
        onTextChange={onTextChange}
        onSend={onSend}
      />,
    );
    const field = screen.getByLabelText('Message #general');
    expect(field).toHaveProperty('value', 'half-typ');
    const user = userEvent.setup();
    await user.type(field, 'ed');
    expect(onTextChange).toHaveBeenLastCalledWith('half-typed');
    await user.type(field, '{Enter}');
    expect(onSend).toHaveBeenCalledWith('half-typed');
    expect(onTextChange).toHaveBeenLastCalledWith('');
  });
});
