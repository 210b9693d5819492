import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuBetween, startCpuSampler, type CpuSample } from '../lib/bench/cpu-sampler.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cpu sampler', () => {
  const sample = (atMs: number, cpu: Record<string, Record<number, number>>, busy: number): CpuSample => ({
    atMs,
    cpu: new Map(
      Object.entries(cpu).map(([name, byPid]) => [
        name,
        new Map(Object.entries(byPid).map(([p, s]) => [Number(p), s])),
      ]),
    ),
    machine: { busy, total: 2 * (atMs / 1000) },
  });

  it('counts each process over the samples inside the window; one started in between counts from 0', () => {
    const samples = [
      sample(0, { svc: { 10: 5 }, db: { 20: 1 } }, 100),
      sample(1000, { svc: { 10: 5.2 }, db: { 20: 1.1 } }, 100.5),
      // pid 21 is a backend that started after the sample at 1000 ms; the client appears too.
      sample(3000, { svc: { 10: 6.2 }, db: { 20: 1.3, 21: 0.4 }, client: { 30: 1.5 } }, 104),
      sample(4000, { svc: { 10: 9 }, db: { 20: 2 }, client: { 30: 3 } }, 106),
    ];
    expect(cpuBetween(samples, 500, 3500)).toEqual({
      fromMs: 1000,
      toMs: 3000,
      seconds: 2,
      cpuPct: { svc: 50, db: 30, client: 75 },
      cpuSeconds: { svc: 1, db: 0.6, client: 1.5 },
      machinePct: 175,
      unlistedPct: 20,
      machineCapacityPct: 100 * os.availableParallelism(),
    });
    expect(cpuBetween(samples, 500, 2000)).toBeNull(); // one sample inside
  });

  const dir = mkdtempSync(join(os.tmpdir(), 'cpu-sampler-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  /** node under another command name (the link's), spinning or idle. */
  const run = (command: string, busy: boolean) => {
    const link = join(dir, command);
    try {
      symlinkSync(process.execPath, link);
    } catch {
      // already linked
    }
    const child = spawn(link, ['-e', busy ? 'for (;;);' : 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    children.push(child);
    return child.pid!;
  };

  it('reads the CPU of tracked pids and of every process with a shared command name from /proc', async () => {
    const idle = run('cpu-test-idle', false);
    run('cpu-test-spin', true);
    run('cpu-test-spin', true);
    const cpu = startCpuSampler({ idle }, { intervalMs: 200, shared: { spinners: 'cpu-test-spin' } });
    await sleep(300);
    const spin = run('cpu-test-spin2', true);
    cpu.track('spin', spin);
    const from = Date.now();
    await sleep(2000);
    cpu.stop();
    const w = cpu.between(from, Date.now())!;
    expect(w.seconds).toBeGreaterThan(1); // of the 2 s slept: samples may come late on a loaded machine
    expect(w.cpuPct.idle).toBeLessThan(5);
    // Spinners get CPU, how much depends on what else runs (other test files in parallel):
    // only 'clearly busy' is certain, and the machine total must account for them.
    expect(w.cpuPct.spin).toBeGreaterThan(5);
    expect(w.cpuPct.spinners).toBeGreaterThan(5);
    expect(w.machinePct).toBeGreaterThanOrEqual((w.cpuPct.spin ?? 0) + (w.cpuPct.spinners ?? 0) - 10);
    expect(w.machinePct).toBeLessThanOrEqual(w.machineCapacityPct + 5);
  });
});
