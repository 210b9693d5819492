import type { InputHTMLAttributes, ReactNode, RefObject } from 'react';
import { SearchIcon } from './icons.js';

interface SwitcherFieldProps extends InputHTMLAttributes<HTMLInputElement> {
  /** Prefix of the label's and the input's ids (`<id>-label` names the dialog). */
  id: string;
  label: string;
  inputRef: RefObject<HTMLInputElement | null>;
  /** Shown after the input, inside the field (a spinner). */
  children?: ReactNode;
}

/** The search field atop the quick switcher and the message search: hidden label, magnifier, text input. */
export function SwitcherField({ id, label, inputRef, children, ...input }: SwitcherFieldProps) {
  return (
    <>
      <label id={`${id}-label`} htmlFor={`${id}-input`} className="sr-only">
        {label}
      </label>
      <div className="switcher__field">
        <SearchIcon />
        <input
          id={`${id}-input`}
          ref={inputRef}
          className="switcher__input"
          autoComplete="off"
          spellCheck={false}
          {...input}
        />
        {children}
      </div>
    </>
  );
}
