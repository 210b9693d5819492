import { seededRandom } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstResponse, rawExchange, startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { startEchoUpstream } from './harness.js';

/**
 * A stranger's bytes against the real gateway process: whatever arrives on the socket, the
 * process stays up, answers an error as the contract's JSON, and serves the next client.
 */

let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
let gw: GatewayProcess;
let port: number;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  gw = await startGatewayProcess({
    USER_SERVICE_URL: upstream.url,
    MESSAGE_SERVICE_URL: upstream.url,
    CHAT_SERVICE_URLS: upstream.url,
    STATIC_DIR: '/nonexistent/client-ui/dist',
  });
  port = Number(new URL(gw.url).port);
}, 60_000);
afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
});

const WS_HEADERS =
  'Host: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
const get = (target: string, headers = 'Host: localhost\r\n') => `GET ${target} HTTP/1.1\r\n${headers}\r\n`;
const upgrade = (target: string) => `GET ${target} HTTP/1.1\r\n${WS_HEADERS}\r\n`;

const TARGETS = [
  '//[',
  'http://[::1/socket.io/?EIO=4&transport=websocket',
  'http://localhost/messages/metrics',
  'http://[::1]:3000/',
  'https://user@evil.example/auth/me',
  '*',
  'localhost:443',
  '/messages/history/%F0%28%8C%BC',
  '/messages/history/%',
  '/auth/users/%zz',
  '/socket.io/?EIO=4&transport=websocket&sid=%ZZ',
  '/socket.io/%C0%AE%C0%AE/internal/publish',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/auth/..%2f..%2fmetrics',
  '//socket.io//?EIO=4',
  '/\\\\evil.example/',
  '/messages/\u00e9',
  '/messages/metrics%00',
  '/%00',
  '/?%',
  '/' + 'a'.repeat(20_000),
];
const METHODS = [
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'CONNECT',
  'TRACE',
  'PATCH',
  'GE T',
  'get',
  'BREW',
  '',
];
const HOSTS = ['[', 'a b', 'http://x', '', '[::1', 'localhost:99999', 'x'.repeat(300), '\u0001', '%00'];

function fixedCases(): string[] {
  const cases: string[] = [];
  for (const t of TARGETS)
    cases.push(get(t), upgrade(t), `POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`);
  for (const h of HOSTS)
    cases.push(
      get('/health', `Host: ${h}\r\n`),
      upgrade(`/socket.io/?EIO=4&transport=websocket`).replace('Host: localhost', `Host: ${h}`),
    );
  cases.push(
    get('/health', ''), // no Host
    get('/health', 'Host: a\r\nHost: b\r\n'),
    get('/health', `X-Big: ${'x'.repeat(100_000)}\r\n`), // headers far beyond node's limit
    get('/health', Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('')),
    get('/health', 'Host: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n'),
    get('/health', 'Host: x\r\nContent-Length: -1\r\n'),
    get('/health', 'Host: x\r\nTransfer-Encoding: chunked\r\n') + 'zz\r\n',
    'GET /health HTTP/9.9\r\n\r\n',
    'GET /health\r\n\r\n',
    'GET\r\n\r\n',
    '\r\n\r\n',
    'GET /health HTTP/1.1\nHost: x\n\n',
    `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`,
    upgrade('/socket.io/?EIO=4&transport=websocket').replace('Upgrade: websocket', 'Upgrade: h2c'),
    upgrade('/socket.io/?EIO=4&transport=websocket').replace('GET', 'POST'),
    upgrade('/metrics'),
    upgrade('/ready'),
    upgrade('/SOCKET.IO/../metrics'),
    upgrade('/internal/publish'),
  );
  return cases;
}

function randomCases(n: number, rand: () => number): Buffer[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const bytes = (len: number) => Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
  const mutate = (s: string) => {
    const b = Buffer.from(s);
    for (let i = 0; i < 1 + rand() * 4; i++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    return b;
  };
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const target =
      pick(TARGETS) +
      (rand() < 0.3
        ? `%${bytes(1)
            .toString('hex')
            .slice(0, 1 + Math.floor(rand() * 2))}`
        : '');
    const line = `${pick(METHODS)} ${target} HTTP/1.1\r\n`;
    const headers = rand() < 0.5 ? WS_HEADERS : `Host: ${pick(HOSTS)}\r\n`;
    switch (i % 4) {
      case 0:
        out.push(bytes(1 + Math.floor(rand() * 512)));
        break;
      case 1:
        out.push(mutate(line + headers + '\r\n'));
        break;
      case 2:
        out.push(Buffer.from(line + headers + '\r\n'));
        break;
      default:
        out.push(Buffer.concat([Buffer.from(line), bytes(Math.floor(rand() * 64)), Buffer.from('\r\n\r\n')]));
    }
  }
  return out;
}

/** Run `work` over `items` with at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

describe('the gateway process under raw HTTP fuzzing', () => {
  it('answers the requests that used to kill it with a JSON 4xx', async () => {
    for (const [bytes, status] of [
      [upgrade('//['), 404],
      [upgrade('http://[::1/socket.io/?EIO=4&transport=websocket'), 400],
      [get('//['), 404],
      [get('http://localhost/'), 400],
      [get('http://[::1/socket.io/?EIO=4&transport=polling'), 400],
      [get('/messages/history/%F0%28%8C%BC'), 400],
    ] as const) {
      // Complete requests: wait as long as a loaded machine may need before the answer.
      const res = firstResponse(await rawExchange(port, bytes, 4_000, 10_000));
      expect(res?.status, bytes).toBe(status);
      expect(res?.headers['content-type'], bytes).toMatch(/^application\/json/);
      expect(JSON.parse(res!.body), bytes).toMatchObject({ error: { code: status === 400 ? 'INVALID' : 'NOT_FOUND' } });
      expect(gw.exited(), gw.stderr()).toBeNull();
    }
  });

  it('stays up through a few thousand malformed requests and serves a normal one after', async () => {
    const cases = [...fixedCases().map((c) => Buffer.from(c, 'latin1')), ...randomCases(3_000, seededRandom(11).next)];
    const statuses = new Map<number, number>();
    const notJson: string[] = [];
    await pool(cases, 16, async (bytes) => {
      const res = firstResponse(await rawExchange(port, bytes));
      if (!res) return; // closed without an answer (e.g. random bytes the parser gave up on)
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const head = bytes.subarray(0, 5).toString('latin1') === 'HEAD '; // answered without a body
      if (res.status >= 400 && !head) {
        try {
          expect(JSON.parse(res.body)).toMatchObject({
            error: { code: expect.any(String), message: expect.any(String) },
          });
        } catch {
          notJson.push(`${res.status} ${bytes.toString('latin1').slice(0, 80)}`);
        }
      }
    });
    expect(gw.exited(), gw.stderr()).toBeNull();
    expect(notJson).toEqual([]);
    // Nothing a client sends is our fault: no 500 INTERNAL among the answers.
    expect(statuses.get(500) ?? 0, JSON.stringify([...statuses])).toBe(0);
    expect(gw.stdout.filter((l) => l.includes('"level":"fatal"'))).toEqual([]);

    const health = await fetch(`${gw.url}/health`);
    expect(health.status).toBe(200);
    const forwarded = await fetch(`${gw.url}/auth/me`);
    expect(forwarded.status).toBe(200);
    expect(await forwarded.json()).toMatchObject({ url: '/auth/me' });
    // And it still shuts down cleanly.
    expect(await gw.stop()).toEqual({ code: 0, signal: null });
  }, 240_000);
});
