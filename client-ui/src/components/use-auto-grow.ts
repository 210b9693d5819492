import { useLayoutEffect, type RefObject } from 'react';

/** A textarea that grows with its text up to `maxPx`, then scrolls. */
export function useAutoGrow(ref: RefObject<HTMLTextAreaElement | null>, text: string, maxPx: number): void {
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, maxPx)}px`;
  }, [ref, text, maxPx]);
}
