/** One sample: epoch ms, CPU seconds by name then pid, machine CPU seconds (all cores). */
export interface CpuSample {
  atMs: number;
  cpu: Map<string, Map<number, number>>;
  machine: { busy: number; total: number };
}
export interface CpuWindow {
  fromMs: number;
  toMs: number;
  seconds: number;
  /** Name → CPU % (100 = one core). */
  cpuPct: Record<string, number>;
  cpuSeconds: Record<string, number>;
  machinePct: number;
  /** Machine CPU % outside the listed processes. */
  unlistedPct: number;
  machineCapacityPct: number;
}
export const SHARED_SERVERS: Record<string, string>;
export function startCpuSampler(
  tracked?: Record<string, number>,
  opts?: { intervalMs?: number; shared?: Record<string, string> },
): {
  samples: CpuSample[];
  track(name: string, pid: number): void;
  stop(): void;
  between(fromMs: number, toMs: number): CpuWindow | null;
};
export function cpuBetween(samples: CpuSample[], fromMs: number, toMs: number): CpuWindow | null;
