import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { heapLogBetween } from '../lib/bench/heap-log-window.js';

const PRELOAD = fileURLToPath(new URL('../lib/bench/heap-log.js', import.meta.url));

/** A process under heap-log.js that, from 0.6 s on, allocates 64 MiB in 1 KiB arrays and keeps 8 MiB of them. */
async function allocating() {
  const file = join(mkdtempSync(join(os.tmpdir(), 'heap-log-')), 'heap.jsonl');
  const script = `
    setTimeout(() => {
      const kept = [];
      for (let i = 0; i < 65536; i++) {
        // 1 KiB each: 125 8-byte elements and the array's and its store's headers.
        const a = new Array(125).fill(i);
        if (i % 8 === 0) kept.push(a);
      }
      globalThis.kept = kept;
      setTimeout(() => {}, 800);
    }, 600);`;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', PRELOAD, '-e', script], {
    env: { ...process.env, BENCH_HEAP_LOG: file },
    stdio: 'ignore',
  });
  await new Promise((resolve) => child.once('exit', resolve));
  return { file, started };
}

describe('heap log', () => {
  it('counts what a process allocated and promoted within a window, and nothing outside it', async () => {
    const { file, started } = await allocating();
    const all = heapLogBetween(file, started, Date.now())!;
    expect(all.allocatedBytes).toBeGreaterThan(64 * 2 ** 20);
    expect(all.allocatedBytes).toBeLessThan(80 * 2 ** 20);
    // The kept eighth (8 MiB) outlives the scavenges; the rest dies young.
    expect(all.promotedBytes).toBeGreaterThan(5e6);
    expect(all.promotedBytes).toBeLessThan(16e6);
    expect(all.scavenges).toBeGreaterThan(0);
    expect(all.gcMs).toBeGreaterThan(0);
    expect(all.cpuMs).toBeGreaterThan(0);
    // The first 450 ms, before the allocation starts: node's own start-up only.
    const before = heapLogBetween(file, started, started + 450);
    expect(before === null || before.allocatedBytes < 5e6).toBe(true);
  });
});
