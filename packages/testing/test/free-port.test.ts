import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/wait.js';

describe('freePort', () => {
  // bind(0) picks a random free port, so a later pick may repeat an earlier one: a stack's
  // services, each given freePort(), once shared one (a benchmark's chat node failed to start
  // while its readiness probe reached message-service). 500 picks from the ephemeral range
  // repeat with near certainty unless freePort refuses repeats.
  it('never hands out the same port twice in one process', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 500; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('names a port a server can listen on', async () => {
    const port = await freePort();
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    expect((server.address() as net.AddressInfo).port).toBe(port);
    await new Promise((resolve) => server.close(resolve));
  });
});
