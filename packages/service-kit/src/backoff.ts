/** Exponential backoff with full jitter: a random delay in [base, min(cap, base·2^attempt)]. */
export function backoffDelay(attempt: number, baseMs = 100, capMs = 10_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(baseMs + Math.random() * Math.max(0, ceiling - baseMs));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
