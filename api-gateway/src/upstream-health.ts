import type { Readiness } from '@chat/service-kit';

/** Whether `baseUrl`/health answers 2xx within `timeoutMs`. */
export async function healthReachable(baseUrl: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** One readiness check per upstream (each chat node separately), probing its /health. */
export function registerUpstreamChecks(readiness: Readiness, upstreams: Record<string, string>): void {
  for (const [name, url] of Object.entries(upstreams)) {
    // Below Readiness's own 1 s bound, so a hung upstream reads as "false", not as a timeout.
    readiness.register(name, () => healthReachable(url, 900));
  }
}
