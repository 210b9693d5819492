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

/** Picks a port for bind(0) that would all repeat before giving up (every free port handed out). */
const MAX_PICKS = 1000;

/**
 * A port nothing listens on right now, so a server can be started (and restarted) on it.
 * Never one this process handed out before: Linux picks a random free port for bind(0), so a
 * later call may name a port an earlier one handed out and freed (17–19 repeats in 500 calls
 * here); two services of a stack would then share it, and the second would fail to start while
 * a readiness probe reached the first.
 */
export async function freePort(): Promise<number> {
  for (let pick = 0; pick < MAX_PICKS; pick++) {
    const port = await kernelFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port in ${MAX_PICKS} picks that this process has not handed out`);
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
