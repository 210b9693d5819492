import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'run-service-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A service whose main starts a timer (it would run for good), then does `after` once started. */
async function runScript(after: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = path.join(dir, `svc-${Math.random().toString(36).slice(2)}.ts`);
  await writeFile(
    file,
    `import { runService } from ${JSON.stringify(path.join(root, 'packages/service-kit/src/run.ts'))};
const benign = (r: unknown) => r instanceof Error && r.message === 'benign';
runService('svc', async () => {
  const keepAlive = setInterval(() => undefined, 1000);
  setTimeout(() => { ${after} }, 10);
  setTimeout(() => { clearInterval(keepAlive); console.log('still running'); }, 500);
}, { isBenignRejection: benign });
`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const fatalLine = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: string; msg: string; origin?: string; err?: { message?: string } })
    .find((l) => l.level === 'fatal');

describe('runService process policy', () => {
  it('an uncaught exception is logged at fatal with the error, and the process exits 1', async () => {
    const { code, stdout } = await runScript(`throw new Error('listener bug');`);
    expect(code).toBe(1);
    expect(fatalLine(stdout)).toMatchObject({ origin: 'uncaughtException', err: { message: 'listener bug' } });
    expect(stdout).not.toContain('still running');
  });

  it('an unhandled rejection that is not known to be benign ends the process the same way', async () => {
    const { code, stdout } = await runScript(`void Promise.reject(new Error('lost promise'));`);
    expect(code).toBe(1);
    expect(fatalLine(stdout)).toMatchObject({ origin: 'unhandledRejection', err: { message: 'lost promise' } });
  });

  it('a known-benign rejection is logged at warn and the process keeps running', async () => {
    const { code, stdout } = await runScript(`void Promise.reject(new Error('benign'));`);
    expect(code).toBe(0);
    expect(stdout).toContain('ignored a known-benign rejection');
    expect(stdout).toContain('still running');
    expect(fatalLine(stdout)).toBeUndefined();
  });
});
