import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { useIsolation } from '@chat/testing';
import { describe, expect, it } from 'vitest';
import { mainEnv, waitFor } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = 'message-service/src/main.ts';

/** `tsx message-service/src/main.ts` with exactly `env` (plus PATH), as a deployment would run it. */
function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

// Each case starts a real process (tsx compiles the service first): generous timeouts on a busy machine.
describe('main', () => {
  it('refuses a missing or malformed variable with one clear line and exit 1', async () => {
    const run = runMain({ PORT: 'abc', AMQP_URL: 'http://nope' });
    expect(await run.exited).toBe(1);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^config: /);
    expect(lines[0]).toMatch(/PORT must be an integer/);
    expect(lines[0]).toMatch(/AMQP_URL must be a amqp:\/\/ or amqps:\/\/ URL/);
    expect(lines[0]).toMatch(/JWT_PUBLIC_KEY .*\(missing\)/);
  }, 60_000);

  const iso = useIsolation('ms-main');

  it('starts, reports ready with all three dependencies, and shuts down cleanly on SIGTERM', async () => {
    const run = runMain({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...mainEnv(iso()),
    });
    const logLines: { msg?: string; port?: number }[] = [];
    createInterface({ input: run.child.stdout }).on('line', (line) =>
      logLines.push(JSON.parse(line) as { msg?: string }),
    );
    try {
      await waitFor(() => logLines.some((l) => l.msg === 'listening'), 20_000, 'listening');
      const port = logLines.find((l) => l.msg === 'listening')!.port!;
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200, 15_000, 'ready');
      const ready = (await (await fetch(`http://127.0.0.1:${port}/ready`)).json()) as {
        checks: Record<string, boolean>;
      };
      expect(ready.checks).toEqual({ mongo: true, redis: true, rabbitmq: true, persist: true });
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(logLines.map((l) => l.msg)).toContain('shutdown complete');
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 60_000);
});
