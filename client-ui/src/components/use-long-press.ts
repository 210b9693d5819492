import { useEffect, useRef, type MouseEvent, type PointerEvent } from 'react';

/** How long a finger rests before it counts as a long press, and how far it may drift meanwhile. */
const HOLD_MS = 500;
const DRIFT_PX = 10;

/**
 * Lifting the finger of a long press can still produce a click, which would land on what
 * opened meanwhile (the sheet's backdrop, closing it). Swallow clicks until the next press.
 */
function swallowClickOfThisPress(): void {
  const swallow = (e: Event) => {
    e.preventDefault();
    e.stopPropagation();
  };
  document.addEventListener('click', swallow, { capture: true });
  document.addEventListener('pointerdown', () => document.removeEventListener('click', swallow, { capture: true }), {
    capture: true,
    once: true,
  });
}

/**
 * Touch long-press: `onLongPress` fires after a finger rests still for HOLD_MS. Mouse and pen
 * are left alone (they have hover and right-click). The browser's own context menu (text
 * selection, "copy") is held back after a long press that opened ours.
 */
export function useLongPress(onLongPress: () => void) {
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const start = useRef<{ x: number; y: number }>(undefined);
  const fired = useRef(false);
  const cancel = () => {
    clearTimeout(timer.current);
    start.current = undefined;
  };
  useEffect(() => cancel, []);
  return {
    onPointerDown: (e: PointerEvent) => {
      if (e.pointerType !== 'touch') return;
      cancel();
      fired.current = false;
      start.current = { x: e.clientX, y: e.clientY };
      timer.current = setTimeout(() => {
        fired.current = true;
        start.current = undefined;
        onLongPress();
      }, HOLD_MS);
    },
    onPointerMove: (e: PointerEvent) => {
      const s = start.current;
      if (s && Math.hypot(e.clientX - s.x, e.clientY - s.y) > DRIFT_PX) cancel();
    },
    onPointerUp: () => {
      cancel();
      if (fired.current) swallowClickOfThisPress();
    },
    onPointerCancel: cancel,
    onContextMenu: (e: MouseEvent) => {
      if (fired.current || start.current) e.preventDefault();
    },
  };
}
