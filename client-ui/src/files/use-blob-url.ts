import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { ApiError } from '../api/http.js';
import { fetchFileBlob } from './files-api.js';
import { useReader } from './file-access.js';

type Fetched = { status: 'idle' | 'loading' | 'failed' } | { status: 'ready'; url: string };
export type BlobUrlState = Fetched & {
  /** Fetch again after `failed`. */
  retry: () => void;
};

/**
 * An object URL for a file fetched with the token (an `<img>` cannot send an Authorization
 * header), fetched once `box` comes near the viewport and revoked when the component goes.
 * `loading` lasts while fetchFileBlob waits for a just-delivered message to be stored.
 */
export function useFileBlobUrl(fileId: string, box: RefObject<HTMLElement | null>): BlobUrlState {
  const current = useReader();
  const reader = useRef(current);
  reader.current = current;
  const [state, setState] = useState<Fetched>({ status: 'idle' });
  const [near, setNear] = useState(false);
  const [tries, setTries] = useState(0);
  const retry = useCallback(() => setTries((n) => n + 1), []);

  useEffect(() => {
    const el = box.current;
    if (!el || typeof IntersectionObserver === 'undefined') {
      setNear(true);
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setNear(true);
          observer.disconnect();
        }
      },
      { rootMargin: '400px' },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [box]);

  useEffect(() => {
    const access = reader.current;
    if (!near || !access) return;
    const abort = new AbortController();
    let url: string | undefined;
    setState({ status: 'loading' });
    fetchFileBlob(access.token, fileId, abort.signal).then(
      (blob) => {
        url = URL.createObjectURL(blob);
        setState({ status: 'ready', url });
      },
      (err: unknown) => {
        if (abort.signal.aborted) return;
        if (err instanceof ApiError && err.code === 'UNAUTHORIZED') access.onUnauthorized();
        setState({ status: 'failed' });
      },
    );
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [near, fileId, tries]);

  return { ...state, retry };
}
