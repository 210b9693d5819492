export interface Verdict {
  ok: boolean;
  exitCode: 0 | 1;
  failures: string[];
}
/** `report` is the JSON report of tools/socket_test.js (see its `report()`). */
export function verdict(report: unknown, maxConnectFailures: number): Verdict;
export function formatSummary(report: unknown): string;
export function formatProgress(p: {
  elapsedSec: number;
  connected: number;
  clients: number;
  sent?: number;
  acked?: number;
  delivered?: number;
  p99Ms?: number | null;
  errors?: number;
}): string;
