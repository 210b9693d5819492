import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { ApiError } from '../api/http.js';
import { useReader } from './file-access.js';
import { retryableUploadError, uploadErrorText, uploadFile, type UploadHandle } from './files-api.js';
import { readyAttachments, slotsLeft, uploadsReducer } from './upload-queue.js';
import { ATTACHMENTS_MAX } from '@chat/contracts';

let nextKey = 0;

/**
 * The files of the message being written: each upload starts as soon as it is added (attach,
 * paste, drop) and reports its progress; cancel aborts it, retry starts it again. Leaving the
 * room (unmount) aborts whatever is still in flight.
 */
export function useUploads() {
  const reader = useReader();
  const [items, dispatch] = useReducer(uploadsReducer, []);
  const [notice, setNotice] = useState<string>();
  const handles = useRef(new Map<string, UploadHandle>());
  const latest = useRef(items);
  latest.current = items;

  useEffect(() => {
    if (!reader) return;
    for (const u of items) {
      if (u.status !== 'uploading' || handles.current.has(u.key)) continue;
      const handle = uploadFile(reader.token(), u.file, (sent) => dispatch({ type: 'progress', key: u.key, sent }));
      handles.current.set(u.key, handle);
      handle.done
        .then(
          (file) => dispatch({ type: 'done', key: u.key, file }),
          (err: unknown) => {
            if (err instanceof DOMException && err.name === 'AbortError') return;
            if (err instanceof ApiError && err.code === 'UNAUTHORIZED') reader.onUnauthorized();
            dispatch({ type: 'failed', key: u.key, error: uploadErrorText(err), retryable: retryableUploadError(err) });
          },
        )
        .finally(() => {
          if (handles.current.get(u.key) === handle) handles.current.delete(u.key);
        });
    }
  }, [items, reader]);

  useEffect(() => {
    const inFlight = handles.current;
    return () => {
      for (const handle of inFlight.values()) handle.abort();
      inFlight.clear();
    };
  }, []);

  const add = useCallback((files: readonly File[]) => {
    if (files.length === 0) return;
    const room = slotsLeft(latest.current);
    setNotice(
      files.length > room
        ? `A message can carry up to ${ATTACHMENTS_MAX} files${room > 0 ? `; ${files.length - room} left out` : ''}.`
        : undefined,
    );
    dispatch({ type: 'add', uploads: files.map((file) => ({ key: `upload-${++nextKey}`, file })) });
  }, []);

  const remove = useCallback((key: string) => {
    handles.current.get(key)?.abort();
    handles.current.delete(key);
    dispatch({ type: 'remove', key });
    setNotice(undefined);
  }, []);

  const retry = useCallback((key: string) => dispatch({ type: 'retry', key }), []);
  const clear = useCallback(() => {
    dispatch({ type: 'clear' });
    setNotice(undefined);
  }, []);

  const ready = readyAttachments(items);
  return {
    items,
    notice,
    add,
    remove,
    retry,
    clear,
    /** The uploaded files once every one is done (an empty list when none is attached). */
    ready,
    /** Something is attached but still uploading or failed: the message waits for it. */
    blocked: items.length > 0 && ready === undefined,
  };
}

export type Uploads = ReturnType<typeof useUploads>;
