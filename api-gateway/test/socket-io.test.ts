import http from 'node:http';
import type { Socket } from 'node:net';
import { closeServer, listen } from '@chat/service-kit';
import { freePort } from '@chat/testing';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deadUrl, startGateway, type RunningGateway } from './harness.js';

interface ChatNode {
  url: string;
  name: string;
  /** What each connection's handshake carried, as the node saw it. */
  handshakes: { auth: unknown; forwardedFor: string | undefined; requestId: string | undefined }[];
  /** Socket.IO connections open on this node now. */
  openConnections(): number;
  close(): Promise<void>;
  /** Die as a crashed process does: stop listening, drop every connection without a word. */
  kill(): void;
}

/** A real Socket.IO server standing in for a chat-service node (on `port`, or any free one). */
async function startChatNode(name: string, port = 0): Promise<ChatNode> {
  // Liveness as chat-service answers it, for the gateway's probe.
  const server = http.createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 404).end());
  const io = new Server(server);
  const handshakes: ChatNode['handshakes'] = [];
  io.on('connection', (socket) => {
    const headers = socket.handshake.headers;
    handshakes.push({
      auth: socket.handshake.auth,
      forwardedFor: headers['x-forwarded-for'] as string | undefined,
      requestId: headers['x-request-id'] as string | undefined,
    });
    socket.on('echo', (payload: unknown, ack: (answer: unknown) => void) => ack({ node: name, payload }));
  });
  const connections = new Set<Socket>();
  server.on('connection', (c: Socket) => {
    connections.add(c);
    c.once('close', () => connections.delete(c));
  });
  const bound = await listen(server, port, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${bound}`,
    name,
    handshakes,
    openConnections: () => io.engine.clientsCount,
    close: async () => {
      await io.close();
      await closeServer(server);
    },
    kill: () => {
      server.close();
      for (const c of connections) c.destroy();
    },
  };
}

const clients: ClientSocket[] = [];
function client(gw: RunningGateway, transports: ('polling' | 'websocket')[]): ClientSocket {
  const socket = connect(gw.url, { transports, reconnection: false, forceNew: true, auth: { token: 'opaque-token' } });
  clients.push(socket);
  return socket;
}

function connected(socket: ClientSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
}

const echo = (socket: ClientSocket, payload: unknown) =>
  socket.timeout(2_000).emitWithAck('echo', payload) as Promise<{ node: string; payload: unknown }>;

let a: ChatNode;
let b: ChatNode;
let single: RunningGateway;
let pair: RunningGateway;

beforeAll(async () => {
  [a, b] = await Promise.all([startChatNode('a'), startChatNode('b')]);
  single = await startGateway({ chatServiceUrls: [a.url] });
  pair = await startGateway({ chatServiceUrls: [a.url, b.url] });
});
afterEach(() => {
  for (const socket of clients.splice(0)) socket.disconnect();
});
afterAll(async () => {
  await Promise.all([single?.close(), pair?.close()]);
  await Promise.all([a?.close(), b?.close()]);
});

describe('Socket.IO through the gateway', () => {
  it('a WebSocket connection reaches the chat node and exchanges an event', async () => {
    const socket = client(single, ['websocket']);
    await connected(socket);
    expect(socket.io.engine.transport.name).toBe('websocket');
    expect(await echo(socket, { text: 'hello' })).toEqual({ node: 'a', payload: { text: 'hello' } });
    const seen = a.handshakes.at(-1)!;
    expect(seen.auth).toEqual({ token: 'opaque-token' });
    expect(seen.forwardedFor).toBe('127.0.0.1');
    expect(seen.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('long-polling works and upgrades to a WebSocket on the same node', async () => {
    const socket = client(single, ['polling', 'websocket']);
    await connected(socket);
    expect(await echo(socket, 1)).toEqual({ node: 'a', payload: 1 });
    await expect.poll(() => socket.io.engine.transport.name, { interval: 20, timeout: 3_000 }).toBe('websocket');
    expect(await echo(socket, 2)).toEqual({ node: 'a', payload: 2 });
  });

  it('with two nodes: WebSocket connections go round-robin', async () => {
    const sockets = [0, 1, 2, 3].map(() => client(pair, ['websocket']));
    await Promise.all(sockets.map(connected));
    const nodes = await Promise.all(sockets.map(async (s) => (await echo(s, null)).node));
    expect(nodes.filter((n) => n === 'a')).toHaveLength(2);
    expect(nodes.filter((n) => n === 'b')).toHaveLength(2);
  });

  it('a node that refuses a connection gets no new WebSockets (passive health)', async () => {
    const gw = await startGateway({ chatServiceUrls: [await deadUrl(), b.url] });
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 6; i++) {
        const socket = client(gw, ['websocket']);
        outcomes.push(
          await connected(socket).then(
            async () => (await echo(socket, null)).node,
            () => 'refused',
          ),
        );
      }
      // Round-robin alone would send every other socket to the dead node; only the first finds it dead.
      expect(outcomes.filter((o) => o === 'refused').length).toBeLessThanOrEqual(1);
      expect(outcomes.filter((o) => o === 'b').length).toBeGreaterThanOrEqual(5);
      expect(gw.logs.some((l) => l.msg === 'chat node down; routing around it')).toBe(true);
    } finally {
      await gw.close();
    }
  });

  it('clients of a node that dies reconnect to a live node, not to the dead one again', async () => {
    const doomed = await startChatNode('doomed');
    const gw = await startGateway({ chatServiceUrls: [doomed.url, b.url] });
    const sockets = Array.from({ length: 10 }, () =>
      connect(gw.url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200 }),
    );
    try {
      await Promise.all(sockets.map(connected));
      const onDoomed = (
        await Promise.all(sockets.map(async (s) => ((await echo(s, null)).node === 'doomed' ? s : null)))
      ).filter((s) => s !== null);
      expect(onDoomed).toHaveLength(5);
      let refused = 0;
      for (const s of onDoomed) s.io.on('reconnect_error', () => refused++);
      const back = onDoomed.map((s) => new Promise((resolve) => s.io.once('reconnect', resolve)));
      doomed.kill();
      await Promise.all(back);
      expect(new Set(await Promise.all(onDoomed.map(async (s) => (await echo(s, null)).node)))).toEqual(new Set(['b']));
      // Round-robin alone sends every other attempt to the dead node (5 refusals here, and
      // reconnects of up to 22 s with default delays); marked down at its first refusal, it
      // refuses at most the attempts already under way.
      expect(refused).toBeLessThanOrEqual(2);
    } finally {
      for (const s of sockets) s.close();
      await gw.close();
    }
  });

  it('the background probe keeps sockets off a dead node and brings it back once healthy', async () => {
    const port = await freePort();
    const gw = await startGateway({ chatServiceUrls: [`http://127.0.0.1:${port}`, b.url], chatProbeIntervalMs: 100 });
    let c: ChatNode | undefined;
    try {
      await expect
        .poll(() => gw.logs.some((l) => l.msg === 'chat node down; routing around it'), { timeout: 10_000 })
        .toBe(true);
      const before = [0, 1, 2, 3].map(() => client(gw, ['websocket']));
      await Promise.all(before.map(connected)); // none is sent to the dead node
      expect(new Set(await Promise.all(before.map(async (s) => (await echo(s, null)).node)))).toEqual(new Set(['b']));

      c = await startChatNode('c', port);
      await expect.poll(() => gw.logs.some((l) => l.msg === 'chat node healthy again'), { timeout: 10_000 }).toBe(true);
      const after = [0, 1, 2, 3].map(() => client(gw, ['websocket']));
      await Promise.all(after.map(connected));
      const nodes = await Promise.all(after.map(async (s) => (await echo(s, null)).node));
      expect(nodes.filter((n) => n === 'c')).toHaveLength(2);
    } finally {
      for (const s of clients.splice(0)) s.close();
      await gw.close();
      await c?.close();
    }
  });

  it('with two nodes: a polling client sticks to one node through its upgrade', async () => {
    const sockets = [0, 1, 2].map(() => client(pair, ['polling', 'websocket']));
    await Promise.all(sockets.map(connected));
    for (const s of sockets)
      await expect.poll(() => s.io.engine.transport.name, { interval: 20, timeout: 3_000 }).toBe('websocket');
    const nodes = await Promise.all(sockets.map(async (s) => (await echo(s, null)).node));
    // Same client address → same node, for the polling requests and for the upgrade with their sid.
    expect(new Set(nodes).size).toBe(1);
  });

  it('a stopped chat node refuses the upgrade quickly, as a connect_error', async () => {
    const gw = await startGateway({ chatServiceUrls: [await deadUrl()] });
    try {
      const started = performance.now();
      const socket = client(gw, ['websocket']);
      await expect(connected(socket)).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await gw.close();
    }
  });

  it('refuses upgrades outside /socket.io', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = http.request(`${single.url}/auth/me`, { headers: { connection: 'Upgrade', upgrade: 'websocket' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('upgrade', () => resolve(101));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(404);
    expect(single.logs.some((l) => l.msg === 'websocket refused' && l.url === '/auth/me' && l.status === 404)).toBe(
      true,
    );
  });

  it('shutdown closes open WebSockets, client and upstream side, so clients reconnect elsewhere', async () => {
    await expect.poll(() => a.openConnections(), { interval: 20, timeout: 2_000 }).toBe(0);
    const gw = await startGateway({ chatServiceUrls: [a.url] });
    const socket = client(gw, ['websocket']);
    await connected(socket);
    expect(a.openConnections()).toBe(1);
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    await gw.close();
    expect(await disconnected).toMatch(/transport (close|error)/);
    expect(gw.server.listening).toBe(false);
    // The chat node sees the connection end at once, not after its ping timeout.
    await expect.poll(() => a.openConnections(), { interval: 20, timeout: 1_000 }).toBe(0);
    expect(gw.logs.some((l) => l.msg === 'websocket closed' && l.upstream === a.url)).toBe(true);
  });
});
