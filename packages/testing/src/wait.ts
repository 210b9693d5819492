import net from 'node:net';

/** Poll `check` every `intervalMs` until it returns true, or fail naming `what` after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Ports this process has handed out: a later call never hands one out again. */
const handedOut = new Set<number>();

/**
 * A port nothing listens on right now, so a server can be started (and restarted) on it.
 * Never one this process handed out before: the kernel may give a port it just freed to the
 * next bind, so two calls in a row (one per service of a stack) could name the same port, and
 * the second service would fail to start while a readiness probe reached the first.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await kernelFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function kernelFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
