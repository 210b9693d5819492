import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './repo.js';

/** scripts/supervise.sh, which `npm start` (scripts/start.sh) runs every service under. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'supervise-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * A service stand-in: notes each start (time in ms) and each SIGTERM it gets in `log`, runs
 * `runMs`, then exits 3 (a crash). On SIGTERM it notes `term`, drains for 300 ms, notes
 * `drained` and exits 0.
 */
const fakeService = (log: string, runMs: number) => [
  process.execPath,
  '-e',
  `const fs = require('fs');
   fs.appendFileSync(${JSON.stringify(log)}, 'start ' + Date.now() + '\\n');
   process.on('SIGTERM', () => {
     fs.appendFileSync(${JSON.stringify(log)}, 'term\\n');
     setTimeout(() => { fs.appendFileSync(${JSON.stringify(log)}, 'drained\\n'); process.exit(0); }, 300);
   });
   setTimeout(() => process.exit(3), ${runMs});`,
];

function supervise(name: string, command: string[], env: Record<string, string>) {
  const child = spawn('bash', [path.join(ROOT, 'scripts/supervise.sh'), name, ...command], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** SIGTERM, as start.sh sends it; resolves with the supervisor's exit code. */
  const stop = () => {
    child.kill('SIGTERM');
    return exited;
  };
  return { stop, stderr: () => stderr };
}

const lines = async (log: string) => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
const starts = async (log: string) =>
  (await lines(log)).filter((l) => l.startsWith('start ')).map((l) => Number(l.slice(6)));

describe('scripts/supervise.sh', () => {
  it('restarts a crashing service with a doubling wait, capped', async () => {
    const log = path.join(dir, 'crash.log');
    const sup = supervise('crashy', fakeService(log, 0), { SUPERVISE_MAX_DELAY_SEC: '4' });
    try {
      await waitFor(async () => (await starts(log)).length >= 5, 40_000, 'five starts', 100);
      const t = await starts(log);
      const gaps = t.slice(1).map((v, i) => v - t[i]!);
      // Waits of 1, 2, 4, then 4 (the cap) seconds: each gap is at least its wait.
      expect(gaps[0]).toBeGreaterThanOrEqual(1_000);
      expect(gaps[1]).toBeGreaterThanOrEqual(2_000);
      expect(gaps[2]).toBeGreaterThanOrEqual(4_000);
      expect(sup.stderr()).toContain('[start] crashy exited with status 3; restarting in 4s');
      expect(sup.stderr()).not.toContain('restarting in 8s');
    } finally {
      expect(await sup.stop()).toBe(0);
    }
  }, 60_000);

  it('goes back to the shortest wait after a run that lasted SUPERVISE_STABLE_SEC', async () => {
    const log = path.join(dir, 'stable.log');
    const sup = supervise('steady', fakeService(log, 1_500), { SUPERVISE_STABLE_SEC: '1' });
    try {
      await waitFor(async () => (await starts(log)).length >= 4, 40_000, 'four starts', 100);
      // Without the reset the waits would be 1, 2, 4 s.
      expect(sup.stderr().match(/restarting in (\d+)s/g)).toEqual([
        'restarting in 1s',
        'restarting in 1s',
        'restarting in 1s',
      ]);
    } finally {
      expect(await sup.stop()).toBe(0);
    }
  }, 60_000);

  it('on SIGTERM sends the service one SIGTERM, waits for its drain, and does not restart it', async () => {
    const log = path.join(dir, 'stop.log');
    const sup = supervise('stopper', fakeService(log, 60_000), {});
    await waitFor(async () => (await starts(log)).length === 1, 20_000, 'the start', 50);
    expect(await sup.stop()).toBe(0);
    // One SIGTERM, and the service had drained before the supervisor exited.
    expect(await lines(log)).toEqual([expect.stringMatching(/^start /), 'term', 'drained']);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await starts(log)).toHaveLength(1);
    expect(sup.stderr()).not.toContain('restarting');
  }, 30_000);
});
