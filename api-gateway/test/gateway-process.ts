import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface GatewayProcess {
  url: string;
  operatorUrl: string;
  child: ChildProcess;
  /** Every stdout line (JSON log lines) so far. */
  stdout: string[];
  stderr(): string;
  /** The exit code, or null while it runs. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The real entry point (`api-gateway/src/main.ts`) as a child process on free ports. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'api-gateway/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', OPERATOR_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let stderr = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitedP = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve((exit = { code, signal }))),
  );
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let partial = '';
  const listening = new Promise<{ port: number; operatorPort: number }>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        const entry = JSON.parse(line) as { msg?: string; port?: number; operatorPort?: number };
        if (entry.msg === 'api-gateway listening') resolve({ port: entry.port!, operatorPort: entry.operatorPort! });
      }
    });
    void exitedP.then(() => reject(new Error(`gateway exited before listening: ${stderr}`)));
  });
  const { port, operatorPort } = await listening;
  return {
    url: `http://127.0.0.1:${port}`,
    operatorUrl: `http://127.0.0.1:${operatorPort}`,
    child,
    stdout,
    stderr: () => stderr,
    exited: () => exit,
    stop: () => {
      if (!exit) child.kill('SIGTERM');
      return exitedP;
    },
  };
}

/**
 * Write `bytes` on a fresh TCP connection and collect what comes back: until a whole response
 * has arrived or the server closes the connection. A server still waiting for the rest of a
 * request after `idleMs` is told there is no more (half-close); after `timeoutMs` the
 * connection is dropped.
 */
export function rawExchange(port: number, bytes: Buffer | string, idleMs = 300, timeoutMs = 5_000): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      clearTimeout(idle);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, timeoutMs);
    const idle = setTimeout(() => socket.end(), idleMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (isComplete(Buffer.concat(chunks))) done();
    });
    socket.once('close', done);
    socket.once('error', done);
    socket.write(bytes);
  });
}

function isComplete(raw: Buffer): boolean {
  const res = firstResponse(raw);
  return res !== null && Buffer.byteLength(res.body) >= Number(res.headers['content-length'] ?? Infinity);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The first HTTP response in `raw` (Content-Length bodies only), or null when there is none. */
export function firstResponse(raw: Buffer): RawResponse | null {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  if (end === -1 || !status) return null;
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  return {
    status: Number(status[1]),
    headers,
    body: raw.subarray(end + 4, end + 4 + length).toString('utf8'),
  };
}
