import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { closeServer, listen } from '@chat/service-kit';
import { tcpReachable, useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from './auth-api-suite.js';
import { call, startUserService, type RunningUserService } from './harness.js';

const iso = useIsolation('user-redis-outage');

/** This file's own redis-server, stopped and started again on the same port. */
let redisProc: ChildProcess | undefined;
let redisPort = 0;

async function startRedis(): Promise<void> {
  redisProc = spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  while (!(await tcpReachable(`redis://127.0.0.1:${redisPort}`, 200))) {
    if (Date.now() > deadline) throw new Error('private redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopRedis(): Promise<void> {
  const proc = redisProc;
  redisProc = undefined;
  if (!proc || proc.exitCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGKILL');
  await exited;
}

let service: RunningUserService;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  const probe = http.createServer();
  redisPort = await listen(probe, 0, '127.0.0.1');
  await closeServer(probe);
  await startRedis();
  service = await startUserService(iso(), { redisUrl: `redis://127.0.0.1:${redisPort}` });
});
afterAll(async () => {
  await service?.close();
  await stopRedis();
});

describe('user-service while Redis (the attempt counters) is down', () => {
  it('answers 503 UNAVAILABLE fast instead of skipping the limits, says so on /ready, and recovers', async () => {
    const name = uniqueName('outage');
    const registered = await call(`${service.url}/auth/register`, { body: { username: name, password: PASSWORD } });
    expect(registered.status).toBe(201);

    await stopRedis();
    const started = performance.now();
    const login = await call(`${service.url}/auth/login`, { body: { username: name, password: PASSWORD } });
    expect(login.status).toBe(503);
    expect(login.body.error?.code).toBe('UNAVAILABLE');
    expect(performance.now() - started).toBeLessThan(3_000);
    const ready = await call(`${service.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toMatchObject({ redis: false, mongo: true });
    // Registration is limited too, so it waits for Redis; token checks do not need it.
    const register = await call(`${service.url}/auth/register`, {
      body: { username: uniqueName('outage'), password: PASSWORD },
    });
    expect(register.body.error?.code).toBe('UNAVAILABLE');
    expect((await call(`${service.url}/auth/me`, { token: registered.body.token! })).status).toBe(200);

    await startRedis();
    await expect
      .poll(
        async () => (await call(`${service.url}/auth/login`, { body: { username: name, password: PASSWORD } })).status,
        {
          interval: 100,
          timeout: 10_000,
        },
      )
      .toBe(200);
    expect((await call(`${service.url}/ready`)).status).toBe(200);
  });
});
