/**
 * Waits for `work` at most `timeoutMs`: 'done' when it settled in time (a rejection is passed
 * on), else 'timeout', leaving it to run on. For shutdown steps that must not outlast their budget.
 */
export async function within(timeoutMs: number, work: Promise<unknown>): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([work.then(() => 'done' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
