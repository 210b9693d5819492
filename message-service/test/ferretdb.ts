import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tcpReachable } from '@chat/testing';
import { freePort, waitFor } from './helpers.js';

/** Built by `npm run services:up`, which exports its path. */
const FERRETDB_BIN =
  process.env.FERRETDB_BIN ?? fileURLToPath(new URL('../../.services/bin/ferretdb', import.meta.url));

/** A FerretDB of this test file's own (SQLite in `dir`), to kill and restart on the same port and data. */
export class PrivateFerretDb {
  private proc: ChildProcess | null = null;

  private constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly debugPort: number,
  ) {}

  static async create(dir: string): Promise<PrivateFerretDb> {
    return new PrivateFerretDb(dir, await freePort(), await freePort());
  }

  get url(): string {
    return `mongodb://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = spawn(
      FERRETDB_BIN,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${this.dir}/`,
        `--state-dir=${this.dir}`,
        `--listen-addr=127.0.0.1:${this.port}`,
        `--debug-addr=127.0.0.1:${this.debugPort}`,
        '--telemetry=disable',
        '--log-level=error',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(() => tcpReachable(this.url, 200), 15_000, 'private FerretDB listening');
  }

  /** SIGKILL: the database vanishes mid-write, as in a crash. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
    this.proc = null;
  }
}
