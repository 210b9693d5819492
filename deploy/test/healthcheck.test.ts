import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './repo.js';

const PROBE = path.join(ROOT, 'deploy/docker/healthcheck.mjs');

/** Exit code of the image's HEALTHCHECK command against PORT. */
async function probe(port: number, probePath?: string): Promise<number> {
  try {
    await promisify(execFile)(process.execPath, [PROBE, ...(probePath ? [probePath] : [])], {
      env: { PATH: process.env.PATH, PORT: String(port), HEALTHCHECK_TIMEOUT_MS: '1500' },
    });
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
}

describe('deploy/docker/healthcheck.mjs', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/health') res.end('{"status":"ok"}');
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 6000);
      else res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('passes when /health answers 2xx on PORT', async () => {
    expect(await probe(port)).toBe(0);
  });

  it('fails on an error status, a timeout, or nothing listening', async () => {
    expect(await probe(port, '/ready')).toBe(1);
    expect(await probe(port, '/slow')).toBe(1);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await probe(freePort)).toBe(1);
  });
});
