/** A Redis command bounded by `timeoutMs`: slower counts as Redis down (the caller falls back). */
export function redisWithin<T>(timeoutMs: number, command: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('redis timeout')), timeoutMs);
  });
  return Promise.race([command, timeout]).finally(() => clearTimeout(timer));
}
