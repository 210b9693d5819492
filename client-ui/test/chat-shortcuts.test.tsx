import { cleanup, render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useChatShortcuts, type ChatShortcuts } from '../src/components/use-chat-shortcuts.js';

afterEach(cleanup);

function Screen(props: ChatShortcuts) {
  useChatShortcuts(props);
  return (
    <>
      <textarea aria-label="composer" />
      <dialog open>
        <input aria-label="in a dialog" />
      </dialog>
    </>
  );
}

function setup() {
  const onStepRoom = vi.fn();
  const onOpenSwitcher = vi.fn();
  const view = render(<Screen onStepRoom={onStepRoom} onOpenSwitcher={onOpenSwitcher} />);
  return { onStepRoom, onOpenSwitcher, user: userEvent.setup(), ...view };
}

describe('chat shortcuts', () => {
  it('Alt+↑/↓ step rooms and Ctrl+K or Cmd+K open the switcher, even while typing in the composer', async () => {
    const { onStepRoom, onOpenSwitcher, user, getByLabelText } = setup();
    await user.click(getByLabelText('composer'));
    await user.keyboard('{Alt>}{ArrowUp}{/Alt}');
    await user.keyboard('{Alt>}{ArrowDown}{/Alt}');
    expect(onStepRoom.mock.calls).toEqual([[-1], [1]]);
    await user.keyboard('{Control>}k{/Control}');
    await user.keyboard('{Meta>}K{/Meta}');
    expect(onOpenSwitcher).toHaveBeenCalledTimes(2);
    expect((getByLabelText('composer') as HTMLTextAreaElement).value).toBe('');
  });

  it('plain arrows, Shift+Alt+arrows and a plain k do nothing', async () => {
    const { onStepRoom, onOpenSwitcher, user, getByLabelText } = setup();
    await user.click(getByLabelText('composer'));
    await user.keyboard('{ArrowUp}k{Shift>}{Alt>}{ArrowDown}{/Alt}{/Shift}');
    expect(onStepRoom).not.toHaveBeenCalled();
    expect(onOpenSwitcher).not.toHaveBeenCalled();
  });

  it('keys pressed inside a dialog are the dialog’s own', async () => {
    const { onStepRoom, onOpenSwitcher, user, getByLabelText } = setup();
    await user.click(getByLabelText('in a dialog'));
    await user.keyboard('{Alt>}{ArrowUp}{/Alt}{Control>}k{/Control}');
    expect(onStepRoom).not.toHaveBeenCalled();
    expect(onOpenSwitcher).not.toHaveBeenCalled();
  });
});
