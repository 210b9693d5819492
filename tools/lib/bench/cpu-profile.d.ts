export function areaOf(url: string, functionName: string): string;
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}
export interface ProfileRow {
  name: string;
  ms: number;
  pct: number;
}
export function summarizeCpuProfile(
  profile: CpuProfile,
  opts?: { top?: number; fromUs?: number; toUs?: number },
): { wallSeconds: number; busySeconds: number; idleSeconds: number; areas: ProfileRow[]; functions: ProfileRow[] };
