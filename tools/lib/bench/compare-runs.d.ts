export function median(xs: number[]): number;
export interface RunComparison {
  before: number;
  after: number;
  ratio: number;
  low: number;
  high: number;
  p: number;
  withinTolerance: boolean;
}
export function compareRuns(
  before: number[],
  after: number[],
  options?: { resamples?: number; seed?: number; tolerance?: number },
): RunComparison;
export interface PairComparison {
  pairs: number;
  ratio: number;
  low: number;
  high: number;
  p: number;
  better: number;
  withinTolerance: boolean;
}
export function comparePairs(
  before: number[],
  after: number[],
  options?: { resamples?: number; seed?: number; tolerance?: number },
): PairComparison;
