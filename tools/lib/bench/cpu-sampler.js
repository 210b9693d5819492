// CPU use of a benchmark's processes, sampled every ~500 ms, so it can be counted over one
// phase of a load run (e.g. only while messages are sent) rather than over the whole run with
// its logins, connects and waits.
import os from 'node:os';
import { cpuSeconds, cpuSecondsByCommand, machineCpuSeconds } from './proc.js';

/** The shared servers by command name; every process of the name counts (e.g. all postgres backends). */
export const SHARED_SERVERS = {
  redis: 'redis-server',
  rabbitmq: 'beam.smp',
  ferretdb: 'ferretdb',
  postgres: 'postgres',
};

/**
 * Sample every `intervalMs` the CPU seconds of the processes in `tracked` (name → pid; more
 * with `track`), of the `shared` servers (name → command name) and of the whole machine.
 * `stop()` takes a last sample; `between(fromMs, toMs)` gives the CPU use within a window.
 */
export function startCpuSampler(tracked = {}, { intervalMs = 500, shared = SHARED_SERVERS } = {}) {
  const pids = new Map(Object.entries(tracked));
  const samples = [];
  const sample = () => {
    const cpu = new Map();
    for (const [name, pid] of pids) {
      const s = cpuSeconds(pid);
      cpu.set(name, new Map(s === null ? [] : [[pid, s]]));
    }
    const byCommand = cpuSecondsByCommand(Object.values(shared));
    for (const [name, command] of Object.entries(shared)) cpu.set(name, byCommand.get(command));
    samples.push({ atMs: Date.now(), cpu, machine: machineCpuSeconds() });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    samples,
    track(name, pid) {
      pids.set(name, pid);
    },
    stop() {
      clearInterval(timer);
      sample();
    },
    between: (fromMs, toMs) => cpuBetween(samples, fromMs, toMs),
  };
}

/**
 * CPU use (100% = one core) between the first and the last sample inside [fromMs, toMs] (epoch
 * ms), or null if fewer than two fall inside. A process that started in between (the load
 * client, a new postgres backend) counts from 0; one that exited is missed for its last interval.
 */
export function cpuBetween(samples, fromMs, toMs) {
  const inside = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  if (inside.length < 2) return null;
  const [a, b] = [inside[0], inside[inside.length - 1]];
  const seconds = (b.atMs - a.atMs) / 1000;
  const pct = (cpuSecs) => Math.round((100 * cpuSecs) / seconds);
  const cpuPct = {};
  const cpuSeconds = {};
  for (const [name, now] of b.cpu) {
    const before = a.cpu.get(name) ?? new Map();
    let used = 0;
    for (const [pid, s] of now) used += s - (before.get(pid) ?? 0);
    cpuPct[name] = pct(used);
    cpuSeconds[name] = Math.round(used * 100) / 100;
  }
  const machinePct = pct(b.machine.busy - a.machine.busy);
  return {
    fromMs: a.atMs,
    toMs: b.atMs,
    seconds,
    cpuPct,
    /** Unrounded, for per-message figures (CPU seconds in the window; /proc counts 10 ms ticks). */
    cpuSeconds,
    machinePct,
    // Other processes (other work on the machine, the benchmark itself) and the kernel.
    unlistedPct: machinePct - Object.values(cpuPct).reduce((sum, x) => sum + x, 0),
    machineCapacityPct: 100 * os.availableParallelism(),
  };
}
