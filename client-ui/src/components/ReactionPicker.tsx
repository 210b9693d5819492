import { useEffect, useRef, type KeyboardEvent } from 'react';
import { COMMON_REACTIONS } from '../messages/reactions.js';

interface ReactionPickerProps {
  /** Emoji the reader already reacted with: picking one again takes it back. */
  mine: ReadonlySet<string>;
  onPick: (emoji: string, add: boolean) => void;
  /** After a pick, Escape or Tab (`refocus`: give focus back to what opened it), or a press elsewhere. */
  onClose: (refocus: boolean) => void;
}

const COLUMNS = 6;

/**
 * The common emoji as a menu: focus starts on the first, arrow keys move in the grid
 * (Home/End to the ends), Enter or a click picks, Escape closes.
 */
export function ReactionPicker({ mine, onPick, onClose }: ReactionPickerProps) {
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitemcheckbox"]')?.focus();
    const outside = (e: PointerEvent) => {
      // Presses on the controls beside it (its own toggle) are theirs to handle.
      if (!ref.current?.parentElement?.contains(e.target as Node)) onClose(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [onClose]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = [...e.currentTarget.querySelectorAll<HTMLElement>('[role="menuitemcheckbox"]')];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const step: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: COLUMNS,
      ArrowUp: -COLUMNS,
      Home: -at,
      End: items.length - 1 - at,
    };
    if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      e.stopPropagation();
      onClose(true);
    } else if (e.key in step) {
      e.preventDefault();
      items[Math.min(items.length - 1, Math.max(0, at + step[e.key]!))]?.focus();
    }
  };

  return (
    <div ref={ref} className="reaction-picker" role="menu" aria-label="Add a reaction" onKeyDown={onKeyDown}>
      {COMMON_REACTIONS.map(({ emoji, name }) => (
        <button
          key={emoji}
          type="button"
          role="menuitemcheckbox"
          aria-checked={mine.has(emoji)}
          aria-label={name}
          title={name}
          tabIndex={-1}
          className="reaction-picker__item"
          onClick={() => {
            onPick(emoji, !mine.has(emoji));
            onClose(true);
          }}
        >
          {emoji}
        </button>
      ))}
    </div>
  );
}
