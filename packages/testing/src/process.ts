import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait.js';

/** Resolves once `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Send `signal` to `child` and wait for its exit; SIGKILL after `graceMs` if it is still there. */
export async function signalAndWait(child: ChildProcess, signal: NodeJS.Signals, graceMs = 30_000): Promise<void> {
  const done = exited(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

export interface ServiceProcess {
  name: string;
  url: string;
  /** The running process (a new one after each start()). */
  child(): ChildProcess;
  /** Start it again with the same entry point, port and environment (after a kill or stop). */
  start(): Promise<void>;
  /** SIGKILL, as a crash would: no shutdown hook runs. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), SIGKILL if it outlasts `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines it wrote (stdout and stderr), for a failure message. */
  output(): string;
}

const OUTPUT_KEEP = 16_384;

/**
 * A service's entry point run as a deployment runs it: its own Node process with exactly the
 * given environment (plus PATH) and `PORT`, started with `tsx` when `entry` is TypeScript.
 * Resolves once `GET <url><readyPath>` answers 200 (`/health` by default: alive, dependencies
 * maybe not yet). It may then be killed and started again on the same port.
 */
export async function startServiceProcess(opts: {
  name: string;
  entry: string;
  port: number;
  env: Record<string, string>;
  cwd?: string;
  readyPath?: string;
  readyTimeoutMs?: number;
}): Promise<ServiceProcess> {
  const url = `http://127.0.0.1:${opts.port}`;
  const nodeArgs = opts.entry.endsWith('.ts') ? ['--import', 'tsx', opts.entry] : [opts.entry];
  let output = '';
  let child: ChildProcess | null = null;

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const proc = spawn(process.execPath, nodeArgs, {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '', ...opts.env, PORT: String(opts.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-OUTPUT_KEEP));
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const answering = waitFor(
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(`${opts.name} exited (${proc.exitCode ?? proc.signalCode}) while starting:\n${output}`);
        }
        const res = await fetch(url + (opts.readyPath ?? '/health'), { signal: AbortSignal.timeout(1000) }).catch(
          () => null,
        );
        return res?.status === 200;
      },
      opts.readyTimeoutMs ?? 60_000,
      `${opts.name} to answer on ${url}`,
      100,
    );
    // One that never came up is not left running.
    await answering.catch(async (err: unknown) => {
      await signalAndWait(proc, 'SIGKILL');
      throw err;
    });
  };
  const current = () => {
    if (!child) throw new Error(`${opts.name} was never started`);
    return child;
  };
  await start();
  return {
    name: opts.name,
    url,
    child: current,
    start,
    kill: () => signalAndWait(current(), 'SIGKILL'),
    stop: (graceMs) => signalAndWait(current(), 'SIGTERM', graceMs),
    output: () => output,
  };
}
