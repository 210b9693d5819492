import { MESSAGE_TEXT_MAX } from '@chat/contracts';
import { useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useAutoGrow } from './use-auto-grow.js';

interface MessageEditorProps {
  initialText: string;
  /** Called with the trimmed new text; unchanged text cancels instead. */
  onSave: (text: string) => void;
  onCancel: () => void;
}

const MAX_HEIGHT_PX = 240;

/** Edit in place: Enter saves, Shift+Enter starts a new line, Escape cancels. */
export function MessageEditor({ initialText, onSave, onCancel }: MessageEditorProps) {
  const [text, setText] = useState(initialText);
  const ref = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const trimmed = text.trim();

  useAutoGrow(ref, text, MAX_HEIGHT_PX);

  useLayoutEffect(() => {
    const el = ref.current;
    el?.focus();
    el?.setSelectionRange(el.value.length, el.value.length);
  }, []);

  const save = () => {
    if (trimmed.length === 0) return;
    if (trimmed === initialText.trim()) onCancel();
    else onSave(trimmed);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.nativeEvent.isComposing) return;
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      save();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    }
  };

  return (
    <div className="msg__editor">
      <label htmlFor={id} className="sr-only">
        Edit message
      </label>
      <textarea
        id={id}
        ref={ref}
        className="msg__editor-field"
        rows={1}
        value={text}
        maxLength={MESSAGE_TEXT_MAX}
        aria-describedby={`${id}-hint`}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="msg__editor-bar">
        <span id={`${id}-hint`} className="msg__editor-hint">
          <kbd>Enter</kbd> to save · <kbd>Esc</kbd> to cancel
        </span>
        <button type="button" className="button button--secondary button--small" onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className="button button--primary button--small"
          disabled={trimmed.length === 0}
          onClick={save}
        >
          Save
        </button>
      </div>
    </div>
  );
}
