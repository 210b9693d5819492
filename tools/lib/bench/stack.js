// The local stack as separate processes for bench/run.mjs: each service from its built
// dist/main.js on a free port, over an isolation of @chat/testing (its own RabbitMQ vhost,
// Redis key prefix and MongoDB database), so a benchmark never touches anyone else's data.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { heapLogBetween } from './heap-log-window.js';
import { cpuSeconds, rssBytes } from './proc.js';

const HEAP_LOG_PRELOAD = fileURLToPath(new URL('./heap-log.js', import.meta.url));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Ports this process's stacks were given: see freePort. */
const portsGiven = new Set();

/**
 * A free port for one of a stack's services, never one given before in this process.
 * @chat/testing's freePort already refuses repeats, but a before/after comparison runs this
 * file against an older tree whose @chat/testing may not, so this checks again. Imported when
 * called: on a fresh clone @chat/testing is built after this module is loaded (bench/run.mjs).
 */
export async function freePort() {
  const { freePort: pick } = await import('@chat/testing');
  for (let tries = 0; tries < 1000; tries++) {
    const port = await pick();
    if (portsGiven.has(port)) continue;
    portsGiven.add(port);
    return port;
  }
  throw new Error('no free port that this process has not given to a stack');
}

/** One sample of a Prometheus gauge from a service's /metrics (default Node metrics). */
export async function metricValue(baseUrl, name) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + '{') || l.startsWith(name + ' '));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
}

export class ServiceProcess {
  /** `operatorUrl`: where its /ready and /metrics are (the gateway's operator port; else `url`). */
  constructor(name, child, url, operatorUrl = url) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.url = url;
    this.operatorUrl = operatorUrl;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  memory() {
    return rssBytes(this.pid);
  }

  async heapUsed() {
    return metricValue(this.operatorUrl, 'nodejs_heap_size_used_bytes');
  }

  cpu() {
    return cpuSeconds(this.pid);
  }

  /** What its heap log (startStack's `heapLog`) counted within [fromMs, toMs], or null. */
  heapBetween(fromMs, toMs) {
    return this.heapLogFile ? heapLogBetween(this.heapLogFile, fromMs, toMs) : null;
  }

  /** SIGTERM (graceful shutdown, and a --cpu-prof profile is written), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

async function waitHealthy(proc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null)
      throw new Error(`${proc.name} exited with ${proc.child.exitCode} (log: ${proc.logFile})`);
    try {
      const res = await fetch(`${proc.operatorUrl}/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(200);
  }
  throw new Error(`${proc.name} not ready within ${timeoutMs} ms: ${last} (log: ${proc.logFile})`);
}

/**
 * Start `node [nodeArgs] script` with `env` (added to this process's), its output in
 * `<logDir>/<name>.log`, and wait until `<operatorUrl>/ready` (default `<url>`) answers 2xx.
 */
export async function launchProcess({ name, script, url, operatorUrl = url, env, nodeArgs = [], logDir }) {
  const logFile = join(logDir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
    cwd: logDir,
  });
  const proc = new ServiceProcess(name, child, url, operatorUrl);
  proc.logFile = logFile;
  try {
    await waitHealthy(proc, 60_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/** Whether `root`'s built gateway reads OPERATOR_PORT (trees before issue 11 do not). */
function hasOperatorPort(root) {
  return readFileSync(join(root, 'api-gateway', 'dist', 'config.js'), 'utf8').includes('OPERATOR_PORT');
}

/** Node flags from the environment variable `name` (space-separated), e.g. --cpu-prof. */
function nodeFlags(name) {
  return (process.env[name] ?? '').split(' ').filter(Boolean);
}

/**
 * Start user-service, message-service, `chatNodes` chat-service nodes and the gateway over
 * `iso` (createIsolation of @chat/testing). `env` adds to every service, `chatNodeArgs` are
 * node flags for chat nodes (e.g. --cpu-prof); `mongoDb` a database to use instead of the
 * isolation's (the seeded dataset, which outlives the stack). `heapLog`: chat nodes run with
 * heap-log.js, read back by their heapBetween(); `chatEnv` adds to chat nodes only. Returns
 * the stack handle.
 */
export async function startStack({
  root,
  iso,
  chatNodes = 1,
  env = {},
  chatEnv = {},
  chatNodeArgs = [],
  heapLog = false,
  logDir,
  mongoDb,
}) {
  chatNodeArgs = [...chatNodeArgs, ...nodeFlags('BENCH_CHAT_NODE_FLAGS')];
  for (const svc of ['user-service', 'message-service', 'chat-service', 'api-gateway']) {
    if (!existsSync(join(root, svc, 'dist', 'main.js')))
      throw new Error(`${svc}/dist/main.js missing: run \`npm run build\` first`);
  }
  // A tree from before the gateway's operator port (issue 11) serves /ready on its public one.
  const gatewayHasOperatorPort = hasOperatorPort(root);
  const keys = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const ports = {
    gateway: await freePort(),
    gatewayOperator: await freePort(),
    user: await freePort(),
    message: await freePort(),
    chat: [],
  };
  for (let n = 0; n < chatNodes; n++) ports.chat.push(await freePort());
  const url = (port) => `http://127.0.0.1:${port}`;
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    JWT_PUBLIC_KEY: keys.publicKey,
    REDIS_URL: iso.redisUrl,
    REDIS_KEY_PREFIX: iso.redisPrefix,
    AMQP_URL: iso.amqpUrl,
    MONGO_URL: iso.mongoUrl,
    MONGO_DB: mongoDb ?? iso.mongoDbName,
    MESSAGE_SERVICE_URL: url(ports.message),
    ...env,
  };
  const procs = [];
  const launch = async (name, dir, port, extraEnv, nodeArgs = [], operatorPort = port) => {
    const proc = await launchProcess({
      name,
      script: join(root, dir, 'dist', 'main.js'),
      url: url(port),
      operatorUrl: url(operatorPort),
      env: { ...common, PORT: String(port), ...extraEnv },
      nodeArgs,
      logDir,
    });
    procs.push(proc);
    return proc;
  };
  const stack = {
    iso,
    chat: [],
    procs,
    async stop() {
      for (const p of [...procs].reverse()) await p.stop();
    },
  };
  try {
    // The gateway's /ready checks its upstreams, so it starts last; the rest start together.
    // allSettled: when one fails, the others are still starting; stop() must see them all.
    const started = await Promise.allSettled([
      launch('user-service', 'user-service', ports.user, { JWT_PRIVATE_KEY: keys.privateKey }),
      launch('message-service', 'message-service', ports.message, {}, nodeFlags('BENCH_MESSAGE_NODE_FLAGS')),
      ...ports.chat.map((port, n) => {
        const heapLogFile = heapLog ? join(logDir, `chat-service-${n + 1}.heap.jsonl`) : undefined;
        const proc = launch(
          `chat-service-${n + 1}`,
          'chat-service',
          port,
          { ...chatEnv, ...(heapLogFile ? { BENCH_HEAP_LOG: heapLogFile } : {}) },
          heapLog ? ['--import', HEAP_LOG_PRELOAD, ...chatNodeArgs] : chatNodeArgs,
        );
        return proc.then((p) => Object.assign(p, { heapLogFile }));
      }),
    ]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    [stack.user, stack.message, ...stack.chat] = started.map((r) => r.value);
    stack.gateway = await launch(
      'api-gateway',
      'api-gateway',
      ports.gateway,
      {
        USER_SERVICE_URL: stack.user.url,
        CHAT_SERVICE_URLS: stack.chat.map((c) => c.url).join(','),
        OPERATOR_PORT: String(ports.gatewayOperator),
      },
      [],
      gatewayHasOperatorPort ? ports.gatewayOperator : ports.gateway,
    );
    // A service that lost its port to another process exits at once, while its readiness probe
    // may have been answered by that other process: by now (the gateway took a second) it is gone.
    const exited = procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (exited) throw new Error(`${exited.name} exited after it seemed ready (log: ${exited.logFile})`);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  stack.url = stack.gateway.url;
  /** Restart message-service (after `stop()` on it), e.g. to drain a backlog. */
  stack.restartMessageService = async () => {
    procs.splice(procs.indexOf(stack.message), 1);
    stack.message = await launch('message-service', 'message-service', ports.message, {});
    return stack.message;
  };
  return stack;
}
