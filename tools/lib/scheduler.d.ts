export function dueCount(elapsedMs: number, rate: number, rampMs: number, durationMs: number): number;
export function totalCount(rate: number, rampMs: number, durationMs: number): number;
export function runSchedule(p: {
  rate: number;
  rampMs: number;
  durationMs: number;
  now: () => number;
  send: (k: number) => void;
  tickMs?: number;
}): { total: number; startedAt: number; sent: () => number; done: Promise<number>; stop: () => void };
