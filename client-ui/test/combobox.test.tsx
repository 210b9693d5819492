import { cleanup, render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useCombobox } from '../src/components/use-combobox.js';

afterEach(cleanup);

const FRUITS = ['apple', 'pear', 'plum'];

function Picker({ options, onPick }: { options: string[]; onPick: (option: string) => void }) {
  const combobox = useCombobox('p', options, (o) => o, onPick);
  return (
    <>
      <input aria-label="field" {...combobox.inputProps} />
      <div {...combobox.listboxProps} aria-label="fruits">
        {options.map((o) => (
          <div key={o} {...combobox.optionProps(o)}>
            {o}
          </div>
        ))}
      </div>
    </>
  );
}

function setup(options = FRUITS) {
  const onPick = vi.fn();
  const view = render(<Picker options={options} onPick={onPick} />);
  const field = view.getByRole('combobox', { name: 'field' });
  return { onPick, field, user: userEvent.setup(), ...view };
}

describe('combobox', () => {
  it('↑/↓ move the active option, wrapping at both ends, and Enter picks it', async () => {
    const { onPick, field, user, getByRole } = setup();
    expect(field.getAttribute('aria-controls')).toBe(getByRole('listbox').id);
    expect(field.getAttribute('aria-activedescendant')).toBe('p-apple');
    await user.click(field);
    await user.keyboard('{ArrowUp}');
    expect(field.getAttribute('aria-activedescendant')).toBe('p-plum');
    expect(getByRole('option', { name: 'plum' }).getAttribute('aria-selected')).toBe('true');
    expect(getByRole('option', { name: 'apple' }).getAttribute('aria-selected')).toBe('false');
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(field.getAttribute('aria-activedescendant')).toBe('p-pear');
    await user.keyboard('{Enter}');
    expect(onPick.mock.calls).toEqual([['pear']]);
  });

  it('hovering makes an option active, clicking picks it and the field keeps focus', async () => {
    const { onPick, field, user, getByRole } = setup();
    await user.click(field);
    await user.hover(getByRole('option', { name: 'plum' }));
    expect(field.getAttribute('aria-activedescendant')).toBe('p-plum');
    await user.click(getByRole('option', { name: 'pear' }));
    expect(onPick.mock.calls).toEqual([['pear']]);
    expect(document.activeElement).toBe(field);
  });

  it('with no options, arrows and Enter do nothing', async () => {
    const { onPick, field, user } = setup([]);
    await user.click(field);
    await user.keyboard('{ArrowDown}{ArrowUp}{Enter}');
    expect(field.getAttribute('aria-activedescendant')).toBeNull();
    expect(onPick).not.toHaveBeenCalled();
  });
});
