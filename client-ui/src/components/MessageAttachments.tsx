import type { Attachment } from '@chat/contracts';
import { useId, useRef, useState } from 'react';
import { ApiError } from '../api/http.js';
import { useReader } from '../files/file-access.js';
import { downloadFile } from '../files/files-api.js';
import { fileTypeLabel, isInlineImage } from '../files/file-kind.js';
import { formatBytes } from '../files/format-bytes.js';
import { useFileBlobUrl, type BlobUrlState } from '../files/use-blob-url.js';
import { Dialog } from './Dialog.js';
import { DownloadIcon, FileIcon } from './feature-icons.js';
import { CloseIcon } from './icons.js';
import './attachments.css';

/**
 * A message's files: images as previews in a box of fixed size (no jump in the list when the
 * bytes arrive), opened full size in a dialog; other files as cards with a download button.
 */
export function MessageAttachments({ files }: { files: readonly Attachment[] }) {
  const images = files.filter(isInlineImage);
  const others = files.filter((f) => !isInlineImage(f));
  return (
    <div className="attachments" data-testid="attachments">
      {images.length > 0 && (
        <ul className="attachments__images" aria-label="Images">
          {images.map((f) => (
            <li key={f.id}>
              <ImagePreview file={f} />
            </li>
          ))}
        </ul>
      )}
      {others.length > 0 && (
        <ul className="attachments__files" aria-label="Files">
          {others.map((f) => (
            <li key={f.id}>
              <FileCard file={f} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The box opens the image full size; once its fetch has failed, the same box tries again. */
function ImagePreview({ file }: { file: Attachment }) {
  const box = useRef<HTMLButtonElement>(null);
  const blob = useFileBlobUrl(file.id, box);
  const [open, setOpen] = useState(false);
  const failed = blob.status === 'failed';
  const named = `${file.name} (${formatBytes(file.size)})`;
  return (
    <>
      <button
        type="button"
        ref={box}
        className="attachment-image"
        data-testid="attachment-image"
        data-state={blob.status}
        // The visible words first: a name must contain the text it shows (axe label-content-name-mismatch).
        aria-label={failed ? `Image could not be loaded. Try again: ${named}` : `Open image ${named}`}
        aria-haspopup={failed ? undefined : 'dialog'}
        aria-busy={blob.status === 'loading'}
        onClick={failed ? blob.retry : () => setOpen(true)}
      >
        {blob.status === 'ready' ? (
          <img src={blob.url} alt={file.name} loading="lazy" decoding="async" />
        ) : (
          <span className="attachment-image__placeholder">
            {failed ? (
              <>
                Image could not be loaded. <span className="link-button">Try again</span>
              </>
            ) : (
              <span className="spinner" aria-hidden="true" />
            )}
          </span>
        )}
      </button>
      {open && <ImageLightbox file={file} blob={blob} onClose={() => setOpen(false)} />}
    </>
  );
}

function ImageLightbox({ file, blob, onClose }: { file: Attachment; blob: BlobUrlState; onClose: () => void }) {
  const id = useId();
  const closeRef = useRef<HTMLButtonElement>(null);
  return (
    <Dialog labelledBy={`${id}-title`} className="dialog--lightbox" onCancel={onClose} initialFocus={closeRef}>
      <div className="lightbox" data-testid="lightbox">
        <header className="lightbox__bar">
          <h2 id={`${id}-title`} className="lightbox__title">
            {file.name}
          </h2>
          <span className="lightbox__size">{formatBytes(file.size)}</span>
          <DownloadButton file={file} />
          <button type="button" ref={closeRef} className="icon-button" aria-label="Close image" onClick={onClose}>
            <CloseIcon />
          </button>
        </header>
        <div className="lightbox__stage" onClick={(e) => e.target === e.currentTarget && onClose()}>
          {blob.status === 'ready' ? (
            <img src={blob.url} alt={file.name} />
          ) : blob.status === 'failed' ? (
            <p role="alert">
              The image could not be loaded.{' '}
              <button type="button" className="link-button" onClick={blob.retry}>
                Try again
              </button>
            </p>
          ) : (
            <span className="spinner" aria-hidden="true" />
          )}
        </div>
      </div>
    </Dialog>
  );
}

function FileCard({ file }: { file: Attachment }) {
  return (
    <div className="file-card" data-testid="attachment-file">
      <span className="file-card__icon" aria-hidden="true">
        <FileIcon />
        <span className="file-card__type">{fileTypeLabel(file)}</span>
      </span>
      <span className="file-card__text">
        <span className="file-card__name" title={file.name}>
          {file.name}
        </span>
        <span className="file-card__size">{formatBytes(file.size)}</span>
      </span>
      <DownloadButton file={file} />
    </div>
  );
}

/**
 * Fetched with the token (busy while fetchFileBlob waits for a new message to be stored), then
 * saved under the file's own name; a failure says so on the button.
 */
function DownloadButton({ file }: { file: Attachment }) {
  const reader = useReader();
  const [state, setState] = useState<'idle' | 'busy' | 'failed'>('idle');
  const download = async () => {
    if (!reader || state === 'busy') return;
    setState('busy');
    try {
      await downloadFile(reader.token, file);
      setState('idle');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') reader.onUnauthorized();
      setState('failed');
    }
  };
  return (
    <button
      type="button"
      className={`icon-button file-download${state === 'failed' ? ' file-download--failed' : ''}`}
      aria-label={state === 'failed' ? `Download of ${file.name} failed. Try again` : `Download ${file.name}`}
      title={state === 'failed' ? 'Download failed — try again' : 'Download'}
      aria-busy={state === 'busy'}
      onClick={() => void download()}
    >
      {state === 'busy' ? <span className="spinner" aria-hidden="true" /> : <DownloadIcon />}
    </button>
  );
}
