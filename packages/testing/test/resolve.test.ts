import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  MissingServicesError,
  defaultManagementUrl,
  resolveServices,
  tcpReachable,
  type ResolveDeps,
} from '../src/services.js';

const noDocker: Pick<ResolveDeps, 'dockerAvailable' | 'startContainers'> = {
  dockerAvailable: async () => false,
  startContainers: async () => {
    throw new Error('must not start containers');
  },
};
const all = { REDIS_URL: 'redis://r:6379', AMQP_URL: 'amqp://u:p@q:5672', MONGO_URL: 'mongodb://m:27017' };

describe('resolveServices', () => {
  it('uses the environment first', async () => {
    const s = await resolveServices({ env: all, reachable: async () => true, ...noDocker });
    expect(s).toMatchObject({ redisUrl: all.REDIS_URL, mongoUrl: all.MONGO_URL, source: 'env' });
    expect(s.rabbitManagementUrl).toBe('http://u:p@q:15672');
  });

  it('fails at once naming what is missing and how to start it', async () => {
    const { MONGO_URL: _m, ...noMongo } = all;
    const err = await resolveServices({ env: noMongo, reachable: async () => true, ...noDocker }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MissingServicesError);
    expect((err as Error).message).toContain('mongo (MONGO_URL unset and no Docker engine answers)');
    expect((err as Error).message).toContain('npm run services:up');
  });

  it('treats a configured server that does not answer as missing', async () => {
    const err = await resolveServices({
      env: all,
      reachable: async (url) => !url.startsWith('mongodb'),
      ...noDocker,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('mongo at MONGO_URL=mongodb://m:27017 does not answer');
  });

  it('asks testcontainers for what the environment does not name when Docker answers', async () => {
    const started: string[][] = [];
    const s = await resolveServices({
      env: { REDIS_URL: all.REDIS_URL },
      reachable: async () => true,
      dockerAvailable: async () => true,
      startContainers: async (needs) => {
        started.push(needs);
        return { amqpUrl: 'amqp://c:5672', mongoUrl: 'mongodb://c:27017', rabbitManagementUrl: 'http://g:g@c:15672' };
      },
    });
    expect(started).toEqual([['rabbitmq', 'mongo']]);
    expect(s).toMatchObject({ redisUrl: all.REDIS_URL, amqpUrl: 'amqp://c:5672', source: 'testcontainers' });
  });

  it('probes ports for real', async () => {
    expect(await tcpReachable('redis://127.0.0.1:1')).toBe(false);
    expect(defaultManagementUrl('amqp://127.0.0.1')).toBe('http://guest:guest@127.0.0.1:15672');
  });

  it('a vitest run with MongoDB unreachable and no Docker stops before any test', () => {
    // A separate vitest process whose MONGO_URL points at a closed port (as with FerretDB stopped).
    const r = spawnSync('npx', ['vitest', 'run', '--project', 'services', 'packages/contracts'], {
      env: { ...process.env, MONGO_URL: 'mongodb://127.0.0.1:1', DOCKER_HOST: 'unix:///nonexistent.sock' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('mongo at MONGO_URL=mongodb://127.0.0.1:1 does not answer');
  });
});
