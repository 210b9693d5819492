import { useEffect, useState } from 'react';

const secondsUntil = (untilMs: number | undefined) =>
  untilMs === undefined ? 0 : Math.max(0, Math.ceil((untilMs - Date.now()) / 1000));

/** Whole seconds until `untilMs` (epoch ms), counting down; 0 once passed or when none. */
export function useSecondsLeft(untilMs: number | undefined): number {
  const [seconds, setSeconds] = useState(() => secondsUntil(untilMs));
  useEffect(() => {
    setSeconds(secondsUntil(untilMs));
    if (untilMs === undefined) return;
    const timer = setInterval(() => setSeconds(secondsUntil(untilMs)), 250);
    return () => clearInterval(timer);
  }, [untilMs]);
  return seconds;
}
