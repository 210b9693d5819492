/** Totals of heap-log.js over a window: `ms` between its first and last line inside it. */
export interface HeapWindow {
  ms: number;
  allocatedBytes: number;
  promotedBytes: number;
  gcMs: number;
  scavenges: number;
  markCompacts: number;
  cpuMs: number;
}
export function heapLogBetween(file: string, fromMs: number, toMs: number): HeapWindow | null;
