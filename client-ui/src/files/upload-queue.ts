import { ATTACHMENTS_MAX, MAX_UPLOAD_BYTES_DEFAULT, type Attachment } from '@chat/contracts';
import { formatBytes } from './format-bytes.js';

/**
 * The attachments of the message being written, kept pure so every state is unit-testable:
 * `uploading` (with progress) → `done` (the server's file record), or `failed` (with a reason,
 * retryable unless the file can never be accepted). The message can be sent once every
 * attachment is `done`; it carries their ids in the order they were added.
 */
export interface PendingUpload {
  /** Local id (the file has no server id until its upload is done). */
  key: string;
  file: File;
  status: 'uploading' | 'done' | 'failed';
  /** Bytes sent so far, 0..file.size. */
  sent: number;
  uploaded?: Attachment;
  error?: string;
  /** False when retrying cannot help (too large, refused by the server for good). */
  retryable?: boolean;
}

export type UploadAction =
  | { type: 'add'; uploads: { key: string; file: File }[]; maxBytes?: number }
  | { type: 'progress'; key: string; sent: number }
  | { type: 'done'; key: string; file: Attachment }
  | { type: 'failed'; key: string; error: string; retryable: boolean }
  | { type: 'retry'; key: string }
  | { type: 'remove'; key: string }
  | { type: 'clear' };

export function uploadsReducer(state: readonly PendingUpload[], action: UploadAction): readonly PendingUpload[] {
  switch (action.type) {
    case 'add': {
      const maxBytes = action.maxBytes ?? MAX_UPLOAD_BYTES_DEFAULT;
      const room = Math.max(0, ATTACHMENTS_MAX - state.length);
      const added = action.uploads.slice(0, room).map(({ key, file }): PendingUpload =>
        file.size > maxBytes
          ? {
              key,
              file,
              status: 'failed',
              sent: 0,
              error: `Too large: files can be up to ${formatBytes(maxBytes)}.`,
              retryable: false,
            }
          : { key, file, status: 'uploading', sent: 0 },
      );
      return added.length === 0 ? state : [...state, ...added];
    }
    case 'progress':
      return update(state, action.key, (u) =>
        u.status === 'uploading' && action.sent > u.sent ? { ...u, sent: Math.min(action.sent, u.file.size) } : u,
      );
    case 'done':
      return update(state, action.key, (u) =>
        u.status === 'uploading' ? { ...u, status: 'done', sent: u.file.size, uploaded: action.file } : u,
      );
    case 'failed':
      return update(state, action.key, (u) =>
        u.status === 'uploading' ? { ...u, status: 'failed', error: action.error, retryable: action.retryable } : u,
      );
    case 'retry':
      return update(state, action.key, (u) =>
        u.status === 'failed' && u.retryable !== false ? { key: u.key, file: u.file, status: 'uploading', sent: 0 } : u,
      );
    case 'remove':
      return state.some((u) => u.key === action.key) ? state.filter((u) => u.key !== action.key) : state;
    case 'clear':
      return state.length === 0 ? state : [];
  }
}

function update(
  state: readonly PendingUpload[],
  key: string,
  change: (u: PendingUpload) => PendingUpload,
): readonly PendingUpload[] {
  let changed = false;
  const next = state.map((u) => {
    if (u.key !== key) return u;
    const c = change(u);
    changed ||= c !== u;
    return c;
  });
  return changed ? next : state;
}

/** How many more files the message may take. */
export const slotsLeft = (uploads: readonly PendingUpload[]) => Math.max(0, ATTACHMENTS_MAX - uploads.length);

/**
 * What a send would carry: every upload's file record once all are done; undefined while
 * any is still uploading or failed (the user retries or removes it first).
 */
export function readyAttachments(uploads: readonly PendingUpload[]): Attachment[] | undefined {
  const files: Attachment[] = [];
  for (const u of uploads) {
    if (u.status !== 'done' || !u.uploaded) return undefined;
    files.push(u.uploaded);
  }
  return files;
}

/** 0..100, for the progress bar. */
export const percentSent = (u: PendingUpload) => (u.file.size === 0 ? 100 : Math.floor((u.sent / u.file.size) * 100));
