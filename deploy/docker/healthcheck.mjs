#!/usr/bin/env node
// Container health probe (Docker HEALTHCHECK, compose): exit 0 when GET <path> on this
// container's PORT answers 2xx within the timeout, else 1. Usage: healthcheck.mjs [path]
const path = process.argv[2] ?? '/health';
const port = process.env.PORT ?? '3000';
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS ?? 2000);

try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
