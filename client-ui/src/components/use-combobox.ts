import { useState, type KeyboardEvent, type MouseEvent } from 'react';

/**
 * A text field with a listbox of options (WAI-ARIA combobox pattern), as the quick switcher and
 * the message search use it: focus stays in the field; ↑/↓ move the active option (wrapping),
 * Enter picks it; the pointer makes an option active by hovering and picks it by clicking.
 * `id` prefixes the listbox's and the options' element ids; `keyOf` tells options apart.
 */
export function useCombobox<T>(
  id: string,
  options: readonly T[],
  keyOf: (option: T) => string,
  onPick: (option: T) => void,
) {
  const [active, setActive] = useState(0);
  const current: T | undefined = options[Math.min(active, options.length - 1)];
  const listboxId = `${id}-listbox`;
  const optionId = (option: T) => `${id}-${keyOf(option)}`;

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    const move = (to: number) => {
      e.preventDefault();
      if (options.length > 0) setActive((to + options.length) % options.length);
    };
    const at = current ? options.indexOf(current) : 0;
    if (e.key === 'ArrowDown') move(at + 1);
    else if (e.key === 'ArrowUp') move(at - 1);
    else if (e.key === 'Enter' && !e.nativeEvent.isComposing) {
      e.preventDefault();
      if (current) onPick(current);
    }
  };

  return {
    current,
    optionId,
    /** Back to the first option, for a new list. */
    resetActive: () => setActive(0),
    inputProps: {
      role: 'combobox',
      'aria-controls': listboxId,
      'aria-autocomplete': 'list',
      'aria-activedescendant': current ? optionId(current) : undefined,
      onKeyDown,
    } as const,
    listboxProps: { id: listboxId, role: 'listbox' } as const,
    optionProps: (option: T) => ({
      id: optionId(option),
      role: 'option' as const,
      'aria-selected': option === current,
      // Keep focus in the field; the click picks.
      onMouseDown: (e: MouseEvent) => e.preventDefault(),
      onClick: () => onPick(option),
      onMouseMove: () => setActive(options.indexOf(option)),
    }),
  };
}
