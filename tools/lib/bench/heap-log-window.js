// Reads the lines heap-log.js appends (running totals with their wall-clock time).
import { existsSync, readFileSync } from 'node:fs';

/**
 * What the heap log in `file` counted between the first and the last of its lines inside
 * [fromMs, toMs] (epoch ms): bytes allocated and promoted, GC ms and counts, CPU ms; or null
 * when fewer than two lines fall inside.
 */
export function heapLogBetween(file, fromMs, toMs) {
  if (!existsSync(file)) return null;
  const inside = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((l) => l.atMs >= fromMs && l.atMs <= toMs);
  if (inside.length < 2) return null;
  const [a, b] = [inside[0], inside[inside.length - 1]];
  return {
    ms: b.atMs - a.atMs,
    allocatedBytes: b.allocatedBytes - a.allocatedBytes,
    promotedBytes: b.promotedBytes - a.promotedBytes,
    gcMs: (b.gcUs - a.gcUs) / 1000,
    scavenges: b.scavenges - a.scavenges,
    markCompacts: b.markCompacts - a.markCompacts,
    cpuMs: (b.cpuUs - a.cpuUs) / 1000,
  };
}
