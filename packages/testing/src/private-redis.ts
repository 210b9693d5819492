import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { signalAndWait } from './process.js';
import { freePort, waitFor } from './wait.js';

export interface PrivateRedis {
  url: string;
  port: number;
  /** A client of its own (checks, flushes); reconnects by itself after a restart. */
  client: Redis;
  /** Start the server again on the same port (and, when persistent, with the same data). */
  start(): Promise<void>;
  /** Graceful shutdown (SIGTERM): a persistent server keeps its data for the next start(). */
  stop(): Promise<void>;
  /** SIGKILL: what was not yet on disk is gone. */
  kill(): Promise<void>;
  /** Kill the server for good, disconnect the client and remove its data directory. */
  close(): Promise<void>;
}

/**
 * A redis-server of its own on a free loopback port, which a test or the fault run may stop,
 * kill and restart without touching the shared one. `persist: true` keeps an append-only file
 * (fsync always) in a temp directory, so a stop/start or kill/start keeps every acknowledged
 * write; otherwise nothing is saved and a restart starts empty.
 */
export async function startPrivateRedis(opts: { persist?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'private-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push(...(opts.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined); // refused while the server is down; start() waits for PONG
  let proc: ChildProcess | null = null;

  const start = async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) return;
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    proc = child;
    const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
    spawnFailed.catch(() => undefined);
    await Promise.race([
      spawnFailed,
      waitFor(async () => (await client.ping().catch(() => null)) === 'PONG', 10_000, `private redis on :${port}`, 50),
    ]);
  };
  const halt = async (signal: NodeJS.Signals) => {
    const running = proc;
    proc = null;
    if (running) await signalAndWait(running, signal);
  };
  await start();
  return {
    url,
    port,
    client,
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    close: async () => {
      client.disconnect();
      await halt('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
