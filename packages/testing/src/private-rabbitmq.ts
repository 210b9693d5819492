import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, openSync, closeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { signalAndWait } from './process.js';
import { tcpReachable } from './services.js';
import { freePort, waitFor } from './wait.js';

export interface PrivateRabbit {
  /** `amqp://guest:guest@127.0.0.1:<port>` (default vhost `/`). */
  amqpUrl: string;
  /** Management API base with credentials, e.g. for RabbitManagement; only with `management: true`. */
  managementUrl: string | undefined;
  nodeName: string;
  /** Start the node again on the same ports and data directory (queues and messages kept). */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM): connections are closed, durable queues are kept on disk. */
  stop(): Promise<void>;
  /** SIGKILL of the whole node (the start script, the Erlang VM and its helpers). */
  kill(): Promise<void>;
  /** Kill the node for good and remove its data directory. */
  close(): Promise<void>;
}

/**
 * The start script that runs the node as the current user. Debian's /usr/sbin/rabbitmq-server
 * switches to the `rabbitmq` user when started as root (and would then read that user's cookie
 * and home), so the script under /usr/lib/rabbitmq/bin is preferred; RABBITMQ_SERVER_BIN names
 * another one.
 */
function serverScript(): string {
  const candidates = [process.env.RABBITMQ_SERVER_BIN, '/usr/lib/rabbitmq/bin/rabbitmq-server'];
  for (const file of candidates) {
    if (!file) continue;
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // try the next one
    }
  }
  return 'rabbitmq-server';
}

/**
 * A RabbitMQ node of its own (a second node beside the shared broker): its own node name,
 * AMQP, distribution and management ports on 127.0.0.1, its own Mnesia and log directories and
 * its own Erlang cookie (HOME is its temp directory), and an empty env file so the machine's
 * rabbitmq-env.conf (NODENAME=...) does not apply. A fault test may stop, kill and restart it
 * without touching the shared broker. It registers with the machine's epmd (starting one if
 * none runs, as any Erlang node does).
 */
export async function startPrivateRabbit(opts: { management?: boolean } = {}): Promise<PrivateRabbit> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'private-rabbit-'));
  const nodeName = `private_${randomBytes(4).toString('hex')}@localhost`;
  const amqpPort = await freePort();
  const distPort = await freePort();
  const managementPort = opts.management ? await freePort() : undefined;
  const conf = [`listeners.tcp.local = 127.0.0.1:${amqpPort}`, 'log.file.level = warning'];
  if (managementPort) conf.push(`management.tcp.port = ${managementPort}`, 'management.tcp.ip = 127.0.0.1');
  await writeFile(path.join(dir, 'rabbitmq.conf'), conf.join('\n') + '\n');
  await writeFile(path.join(dir, 'enabled_plugins'), opts.management ? '[rabbitmq_management].\n' : '[].\n');
  await writeFile(path.join(dir, 'rabbitmq-env.conf'), '');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const amqpUrl = `amqp://guest:guest@127.0.0.1:${amqpPort}`;
  const managementUrl = managementPort ? `http://guest:guest@127.0.0.1:${managementPort}` : undefined;
  const script = serverScript();
  let proc: ChildProcess | null = null;

  /** Up means: AMQP accepts connections, and the management API answers when there is one. */
  const answering = async () =>
    (await tcpReachable(amqpUrl, 500)) &&
    (!managementPort ||
      (await fetch(`http://127.0.0.1:${managementPort}/api/overview`, {
        headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') },
        signal: AbortSignal.timeout(1000),
      })
        .then((r) => r.ok)
        .catch(() => false)));

  const start = async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) return;
    const out = openSync(path.join(dir, 'console.log'), 'a');
    // Its own process group, so kill() reaches the VM and its helpers, not only the script.
    const child = spawn(script, [], { env, stdio: ['ignore', out, out], detached: true });
    closeSync(out);
    proc = child;
    const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
    spawnFailed.catch(() => undefined);
    await Promise.race([
      spawnFailed,
      waitFor(
        async () => {
          if (child.exitCode !== null) {
            throw new Error(`private RabbitMQ node exited with ${child.exitCode} (see ${dir}/console.log)`);
          }
          return answering();
        },
        90_000,
        `private RabbitMQ node ${nodeName}`,
        200,
      ),
    ]);
  };
  const stop = async () => {
    const running = proc;
    proc = null;
    // The start script forwards SIGTERM to the VM and waits for it to stop.
    if (running) await signalAndWait(running, 'SIGTERM', 60_000);
  };
  const kill = async () => {
    const running = proc;
    proc = null;
    if (!running || running.pid === undefined) return;
    try {
      process.kill(-running.pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
    await signalAndWait(running, 'SIGKILL');
  };
  try {
    await start();
  } catch (err) {
    await kill();
    throw err;
  }
  return {
    amqpUrl,
    managementUrl,
    nodeName,
    start,
    stop,
    kill,
    // Its data is removed anyway: no graceful stop (seconds) first.
    close: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
