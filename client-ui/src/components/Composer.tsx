import { MESSAGE_TEXT_MAX } from '@chat/contracts';
import {
  useEffect,
  useId,
  useRef,
  useState,
  type ClipboardEvent,
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
} from 'react';
import { pastedFiles } from '../files/use-file-drop.js';
import { SendIcon } from './icons.js';
import { useAutoGrow } from './use-auto-grow.js';

interface ComposerProps {
  /** What the field is for, read by screen readers ("Message #general"). */
  label: string;
  placeholder: string;
  disabled?: boolean;
  /** Each new value moves focus into the field (after joining a room, switching by keyboard). */
  focusKey?: number | undefined;
  /** The kept draft to start from. */
  initialText?: string;
  /** Every change of the text, to keep it as a draft. */
  onTextChange?: (text: string) => void;
  onSend: (text: string) => void;
  /** Keys for the room first (Up-arrow edits the last message, Escape drops a reply); preventDefault to take one. */
  onFieldKeyDown?: (e: KeyboardEvent<HTMLTextAreaElement>, text: string) => void;
  /** The field, for the room to focus (when a reply starts). */
  inputRef?: RefObject<HTMLTextAreaElement | null>;
  /** Files attached to the message (UploadTray, AttachButton); without them the composer is text only. */
  files?: ComposerFiles;
}

export interface ComposerFiles {
  /** Shown above the field. */
  tray: ReactNode;
  /** Shown at the start of the field. */
  attachButton: ReactNode;
  /** Some are attached and all uploaded: the message may go without text. */
  ready: boolean;
  /** Some are still uploading or failed: sending waits for them. */
  blocked: boolean;
  onPaste: (files: File[]) => void;
}

/** Show the remaining count once a message gets this close to the limit. */
const COUNT_FROM = MESSAGE_TEXT_MAX - 500;
const MAX_HEIGHT_PX = 200;

/** Message field: Enter sends, Shift+Enter starts a new line; grows with its content. */
export function Composer(props: ComposerProps) {
  const {
    label,
    placeholder,
    disabled = false,
    focusKey,
    initialText = '',
    onTextChange,
    onSend,
    onFieldKeyDown,
  } = props;
  const [text, setTextState] = useState(initialText);
  const setText = (next: string) => {
    setTextState(next);
    onTextChange?.(next);
  };
  const ownRef = useRef<HTMLTextAreaElement>(null);
  const fieldRef = props.inputRef ?? ownRef;
  const id = useId();
  const { files } = props;
  const canSend = !disabled && !files?.blocked && (text.trim().length > 0 || Boolean(files?.ready));

  useEffect(() => {
    if (focusKey !== undefined) fieldRef.current?.focus();
  }, [focusKey]);

  useAutoGrow(fieldRef, text, MAX_HEIGHT_PX);

  const submit = () => {
    if (!canSend) return;
    onSend(text.trim());
    setText('');
    fieldRef.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    onFieldKeyDown?.(e, text);
    if (e.defaultPrevented) return;
    // Not while an input method is composing (Enter confirms the composition there).
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  const onPaste = (e: ClipboardEvent<HTMLTextAreaElement>) => {
    const pasted = files ? pastedFiles(e.clipboardData) : [];
    if (pasted.length === 0) return;
    e.preventDefault();
    files?.onPaste(pasted);
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit();
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      {files?.tray}
      <div className="composer__box">
        {files?.attachButton}
        <textarea
          id={id}
          ref={fieldRef}
          className="composer__field"
          rows={1}
          value={text}
          placeholder={placeholder}
          maxLength={MESSAGE_TEXT_MAX}
          disabled={disabled}
          aria-describedby={`${id}-hint`}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
        />
        <button
          type="submit"
          className="composer__send"
          disabled={!canSend}
          aria-label={files?.blocked ? 'Send message (waiting for uploads)' : 'Send message'}
        >
          <SendIcon />
        </button>
      </div>
      <p id={`${id}-hint`} className="composer__hint">
        <span>
          <kbd>Enter</kbd> to send · <kbd>Shift</kbd> + <kbd>Enter</kbd> for a new line
        </span>
        {text.length >= COUNT_FROM && (
          <span className="composer__count">{MESSAGE_TEXT_MAX - text.length} characters left</span>
        )}
      </p>
    </form>
  );
}
