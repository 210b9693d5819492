// What /proc (Linux) says about processes and the machine: memory, CPU time, command names.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/** A /proc file, or '' once its process has exited. */
function readProc(path) {
  try {
    return readFileSync(`/proc/${path}`, 'utf8');
  } catch {
    return '';
  }
}

/** Resident set size of a process in bytes. */
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readProc(`${pid}/status`));
  return m ? Number(m[1]) * 1024 : null;
}

/** Command name and CPU seconds (user + system) of a process from /proc/<pid>/stat, or null once it has exited. */
function stat(pid) {
  const text = readProc(`${pid}/stat`);
  // "pid (comm) state ...": comm may hold spaces and parentheses, so split at the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  return {
    command: text.slice(text.indexOf('(') + 1, close),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / USER_HZ, // utime, stime
  };
}

/** CPU seconds (user + system) a process has used, or null once it has exited. */
export function cpuSeconds(pid) {
  return stat(pid)?.cpuSeconds ?? null;
}

/** CPU seconds of every running process whose command name is in `commands`: command → (pid → seconds). */
export function cpuSecondsByCommand(commands) {
  const out = new Map(commands.map((c) => [c, new Map()]));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(entry);
    if (s && out.has(s.command)) out.get(s.command).set(Number(entry), s.cpuSeconds);
  }
  return out;
}

/** Whole-machine CPU seconds from the "cpu" line of /proc/stat: busy and total, summed over all cores. */
export function machineCpuSeconds() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readProc('stat')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / USER_HZ, total: (busy + idle + iowait) / USER_HZ };
}
