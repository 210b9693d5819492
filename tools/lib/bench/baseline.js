// The baseline server of bench/baseline-server.mjs as a process of the bench, over the same
// isolation as the stack it is compared with (adapter keys under its Redis prefix, its
// discard exchange in its RabbitMQ vhost).
import { join } from 'node:path';
import { freePort, launchProcess } from './stack.js';

/** Start the baseline on a free port (`nodeArgs`: e.g. --cpu-prof); resolves with its ServiceProcess (`.url`, `.pid`, `stop()`). */
export async function startBaseline({ root, iso, logDir, nodeArgs = [] }) {
  const port = await freePort();
  return launchProcess({
    name: 'baseline',
    script: join(root, 'bench', 'baseline-server.mjs'),
    url: `http://127.0.0.1:${port}`,
    env: {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      REDIS_URL: iso.redisUrl,
      REDIS_KEY_PREFIX: `${iso.redisPrefix}baseline:`,
      AMQP_URL: iso.amqpUrl,
    },
    nodeArgs,
    logDir,
  });
}
