import { useEffect, useRef } from 'react';

export interface ChatShortcuts {
  /** Alt+↑ / Alt+↓ (Option on a Mac): the previous or next room in the sidebar. */
  onStepRoom: (step: 1 | -1) => void;
  /** Ctrl+K, or Cmd+K on a Mac: the quick switcher. */
  onOpenSwitcher: () => void;
  /** Ctrl+Shift+F, or Cmd+Shift+F on a Mac: message search. */
  onOpenSearch?: () => void;
}

/** The keys work from anywhere in the chat screen, except inside an open dialog. */
export function useChatShortcuts(handlers: ChatShortcuts): void {
  // Latest handlers without re-adding the listener on every render.
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      if (e.target instanceof Element && e.target.closest('dialog')) return;
      const onlyAlt = e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey;
      const commandKey = (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey;
      if (onlyAlt && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        e.preventDefault();
        latest.current.onStepRoom(e.key === 'ArrowUp' ? -1 : 1);
      } else if (commandKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        latest.current.onOpenSwitcher();
      } else if ((e.ctrlKey || e.metaKey) && e.shiftKey && !e.altKey && e.key.toLowerCase() === 'f') {
        if (!latest.current.onOpenSearch) return;
        e.preventDefault();
        latest.current.onOpenSearch();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);
}

/** The keys as `aria-keyshortcuts` names them. */
export const SWITCHER_KEYS = 'Control+K Meta+K';
/** The search keys as `aria-keyshortcuts` names them. */
export const SEARCH_KEYS = 'Control+Shift+F Meta+Shift+F';
