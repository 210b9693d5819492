import { useLayoutEffect, useRef, type KeyboardEvent, type ReactNode, type RefObject } from 'react';

interface DialogProps {
  /** Id of the element that names the dialog (its heading or its field's label). */
  labelledBy: string;
  describedBy?: string;
  className?: string;
  /** Escape, a click on the backdrop, or a Cancel button. */
  onCancel: () => void;
  /** What gets focus when the dialog opens; the first focusable element otherwise. */
  initialFocus?: RefObject<HTMLElement | null>;
  children: ReactNode;
}

const FOCUSABLE = 'button:not(:disabled), input:not(:disabled), textarea:not(:disabled), a[href], [tabindex="0"]';

/**
 * Tab from the last control goes to the first and Shift+Tab from the first to the last: an
 * inert page keeps focus out of itself, but without this it would leave for the browser's
 * own toolbar.
 */
function wrapTab(e: KeyboardEvent<HTMLDialogElement>) {
  if (e.key !== 'Tab') return;
  const focusable = [...e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const first = focusable[0];
  const last = focusable.at(-1);
  if (!first || !last) return;
  const current = document.activeElement;
  if (e.shiftKey ? current === first : current === last) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  }
}

/**
 * A modal on the native `<dialog>`: `showModal()` makes the rest of the page inert, Tab
 * cycles inside it, Escape cancels, and the browser gives focus back to what had it on close.
 * Rendered only while open; unmounting closes it.
 */
export function Dialog({ labelledBy, describedBy, className, onCancel, initialFocus, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  // Layout effect: its cleanup closes the dialog while it is still in the document, so the
  // browser can give focus back to what opened it.
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    initialFocus?.current?.focus();
    return () => dialog.close();
  }, [initialFocus]);
  return (
    <dialog
      ref={ref}
      className={`dialog${className ? ` ${className}` : ''}`}
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
      onKeyDown={wrapTab}
      onCancel={(e) => {
        // The parent unmounts it; closing here too would race React's own removal.
        e.preventDefault();
        onCancel();
      }}
      onClick={(e) => {
        // A click on the backdrop lands on the dialog element itself, outside its content box.
        if (e.target === e.currentTarget) onCancel();
      }}
    >
      {children}
    </dialog>
  );
}
