import { useEffect, useRef, useState } from 'react';
import { isInlineImage } from '../files/file-kind.js';
import { formatBytes } from '../files/format-bytes.js';
import { percentSent, slotsLeft, type PendingUpload } from '../files/upload-queue.js';
import type { Uploads } from '../files/use-uploads.js';
import { FileIcon, PaperclipIcon } from './feature-icons.js';
import { CloseIcon } from './icons.js';
import './uploads.css';

/** The files attached to the message being written, above the field: progress, cancel, retry, remove. */
export function UploadTray({ uploads }: { uploads: Uploads }) {
  if (uploads.items.length === 0 && !uploads.notice) return null;
  return (
    <div className="upload-tray">
      {uploads.items.length > 0 && (
        <ul className="upload-tray__list" aria-label="Attached files">
          {uploads.items.map((u) => (
            <UploadChip key={u.key} upload={u} onRemove={uploads.remove} onRetry={uploads.retry} />
          ))}
        </ul>
      )}
      {uploads.notice && (
        <p className="upload-tray__notice" role="status">
          {uploads.notice}
        </p>
      )}
    </div>
  );
}

function UploadChip(props: { upload: PendingUpload; onRemove: (key: string) => void; onRetry: (key: string) => void }) {
  const { upload: u, onRemove, onRetry } = props;
  const name = u.file.name || 'file';
  const percent = percentSent(u);
  return (
    <li className={`upload-chip upload-chip--${u.status}`} data-testid="upload" data-status={u.status}>
      <UploadThumb file={u.file} />
      <span className="upload-chip__text">
        <span className="upload-chip__name" title={name}>
          {name}
        </span>
        {u.status === 'uploading' && (
          <>
            <span
              className="upload-chip__bar"
              role="progressbar"
              aria-label={`Uploading ${name}`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              data-testid="upload-progress"
            >
              <span style={{ width: `${percent}%` }} />
            </span>
            <span className="upload-chip__meta">
              {formatBytes(u.sent)} of {formatBytes(u.file.size)}
            </span>
          </>
        )}
        {u.status === 'done' && <span className="upload-chip__meta">{formatBytes(u.file.size)} · ready</span>}
        {u.status === 'failed' && (
          <span className="upload-chip__meta upload-chip__error" role="alert">
            {u.error ?? 'Upload failed.'}{' '}
            {u.retryable !== false && (
              <button type="button" className="link-button" onClick={() => onRetry(u.key)}>
                Retry
              </button>
            )}
          </span>
        )}
      </span>
      <button
        type="button"
        className="icon-button upload-chip__remove"
        aria-label={u.status === 'uploading' ? `Cancel upload of ${name}` : `Remove ${name}`}
        title={u.status === 'uploading' ? 'Cancel upload' : 'Remove'}
        onClick={() => onRemove(u.key)}
      >
        <CloseIcon />
      </button>
    </li>
  );
}

/** A local preview of an image being attached (an object URL of the file itself, revoked after). */
function UploadThumb({ file }: { file: File }) {
  const [url, setUrl] = useState<string>();
  const image = isInlineImage({ contentType: file.type || 'application/octet-stream' });
  useEffect(() => {
    if (!image) return;
    const made = URL.createObjectURL(file);
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [file, image]);
  return (
    <span className="upload-chip__thumb" aria-hidden="true">
      {url ? <img src={url} alt="" /> : <FileIcon />}
    </span>
  );
}

/** The paperclip: opens the file picker (several files at once). */
export function AttachButton({ uploads }: { uploads: Uploads }) {
  const input = useRef<HTMLInputElement>(null);
  const full = slotsLeft(uploads.items) === 0;
  return (
    <>
      <button
        type="button"
        className="icon-button composer__attach"
        aria-label={full ? 'Attach files (the message has the most files it can carry)' : 'Attach files'}
        title="Attach files"
        disabled={full}
        onClick={() => input.current?.click()}
      >
        <PaperclipIcon />
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        data-testid="attach-input"
        onChange={(e) => {
          uploads.add([...(e.target.files ?? [])]);
          // The same file can be picked again after it was removed.
          e.target.value = '';
        }}
      />
    </>
  );
}

/** Shown over the room while files are dragged onto it. */
export function DropOverlay() {
  return (
    <div className="drop-overlay" aria-hidden="true">
      <PaperclipIcon />
      <span>Drop files to attach them</span>
    </div>
  );
}
