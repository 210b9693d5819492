export function kindOf(rest: string): string;
export function redisUsage(
  redisUrl: string,
  prefix: string,
): Promise<{ keys: number; bytes: number; byKind: Record<string, { keys: number; bytes: number }> }>;
