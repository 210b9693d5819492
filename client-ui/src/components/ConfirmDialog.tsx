import { useId, useRef, type FormEvent, type ReactNode } from 'react';
import { Dialog } from './Dialog.js';

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}

/** "Are you sure?" with the action focused: Enter confirms, Escape or Cancel backs out. */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel }: ConfirmDialogProps) {
  const id = useId();
  const confirmRef = useRef<HTMLButtonElement>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onConfirm();
  };
  return (
    <Dialog
      labelledBy={`${id}-title`}
      describedBy={`${id}-body`}
      className="dialog--confirm"
      onCancel={onCancel}
      initialFocus={confirmRef}
    >
      <form className="dialog__form" onSubmit={submit}>
        <h2 id={`${id}-title`} className="dialog__title">
          {title}
        </h2>
        <div id={`${id}-body`} className="dialog__body">
          {children}
        </div>
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" ref={confirmRef} className="button button--danger">
            {confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
