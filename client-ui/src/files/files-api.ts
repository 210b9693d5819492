import { UPLOAD_FIELD, uploadResponseSchema, type Attachment } from '@chat/contracts';
import { ApiError, toApiError } from '../api/http.js';

export interface UploadHandle {
  /** The server's file record; rejects with an ApiError, or an AbortError after `abort()`. */
  done: Promise<Attachment>;
  abort: () => void;
}

/**
 * `POST /files` (DESIGN.md §2) with XMLHttpRequest rather than fetch: only XHR reports upload
 * progress. One multipart part, `file`, with the file's own name.
 */
export function uploadFile(token: string, file: File, onProgress: (sent: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Attachment>((resolve, reject) => {
    xhr.open('POST', '/files');
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      let data: unknown;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = undefined;
      }
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(toApiError(xhr.status, data, undefined));
        return;
      }
      const parsed = uploadResponseSchema.safeParse(data);
      if (parsed.success) resolve(parsed.data.file);
      else reject(new ApiError(xhr.status, 'INTERNAL', 'The server sent an unexpected answer.'));
    };
    xhr.onerror = () => reject(new ApiError(0, 'UPSTREAM_UNAVAILABLE', 'Cannot reach the server.'));
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    const form = new FormData();
    form.append(UPLOAD_FIELD, file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** Whether a failed upload may succeed when tried again (not for a refusal of the file itself). */
export function retryableUploadError(err: unknown): boolean {
  if (!(err instanceof ApiError)) return true;
  return !(err.status === 413 || err.code === 'INVALID' || err.code === 'FORBIDDEN');
}

/** What an upload failure says to the user. */
export function uploadErrorText(err: unknown): string {
  if (err instanceof ApiError && err.status === 413) return 'Too large for the server.';
  return err instanceof ApiError ? err.message : 'Upload failed.';
}

/**
 * Waits before each new try of a file refused with 403. A message reaches the room once the
 * broker has it, but the room may read its files only once message-service has stored it, up
 * to PERSIST_BATCH_MAX_WAIT_MS (100 ms by default) later, more when MongoDB is slow: ~4.7 s in all.
 */
const NOT_YET_READABLE_WAITS_MS: readonly number[] = [150, 300, 600, 1200, 2400];

/**
 * `GET /files/:id` with the token in the Authorization header (an `<img src>` cannot send
 * it): the bytes as a Blob, for an object URL the caller revokes when done with it. A 403 is
 * tried again after each of NOT_YET_READABLE_WAITS_MS; the token is read for every try.
 */
export async function fetchFileBlob(token: () => string, fileId: string, signal?: AbortSignal): Promise<Blob> {
  for (let tried = 0; ; tried++) {
    try {
      return await fetchFileOnce(token(), fileId, signal);
    } catch (err) {
      const wait = NOT_YET_READABLE_WAITS_MS[tried];
      if (wait === undefined || !(err instanceof ApiError && err.status === 403)) throw err;
      await pause(wait, signal);
    }
  }
}

async function fetchFileOnce(token: string, fileId: string, signal: AbortSignal | undefined): Promise<Blob> {
  let res: Response;
  try {
    res = await fetch(`/files/${encodeURIComponent(fileId)}`, {
      headers: { authorization: `Bearer ${token}` },
      credentials: 'omit',
      signal: signal ?? null,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'UPSTREAM_UNAVAILABLE', 'Cannot reach the server.');
  }
  if (!res.ok) throw toApiError(res.status, await res.json().catch(() => undefined), undefined);
  return res.blob();
}

/** `ms` later, or rejected with the abort reason as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const aborted = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/** Save a file under its own name: fetched with the token, then handed to the browser as a download. */
export async function downloadFile(token: () => string, file: Attachment): Promise<void> {
  const blob = await fetchFileBlob(token, file.id);
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = file.name;
    a.rel = 'noopener';
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // After the click has handed the URL to the download; revoking at once can cancel it in some browsers.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
