import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message } from '@chat/contracts';
import { Server as IoServer } from 'socket.io';

/** Faults the fake can inject, to prove the script notices them. */
export interface FakeFaults {
  /** Skip the live delivery of every n-th message to one member (the message is still stored). */
  dropDeliveryEvery?: number;
  /** Store every n-th message twice. */
  storeTwiceEvery?: number;
  /** Disconnect every socket (server side) once, right after the n-th accepted message. */
  disconnectAllAfter?: number;
}

/**
 * An in-memory stand-in for the public API the script uses (DESIGN.md §2–3: register/login,
 * history with `after=`, Socket.IO joinRoom/sendMessage/receiveMessage), so the script's own
 * measuring and verdicts can be tested without the services; the real stack is tested beside it.
 */
export async function startFakeStack(faults: FakeFaults = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const users = new Map<string, { id: string; password: string }>();
  const tokens = new Map<string, { id: string; username: string }>();
  const rooms = new Map<string, Message[]>();
  let accepted = 0;

  const issue = (username: string) => {
    const token = randomBytes(16).toString('hex');
    tokens.set(token, { id: users.get(username)!.id, username });
    return { user: { id: users.get(username)!.id, username, displayName: username }, token };
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const readJson = async (req: IncomingMessage) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    return JSON.parse(raw) as { username: string; password: string };
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'POST' && url.pathname === '/auth/register') {
        const b = await readJson(req);
        if (users.has(b.username)) return send(res, 409, { error: { code: 'CONFLICT', message: 'taken' } });
        users.set(b.username, { id: randomBytes(12).toString('hex'), password: b.password });
        return send(res, 201, issue(b.username));
      }
      if (req.method === 'POST' && url.pathname === '/auth/login') {
        const b = await readJson(req);
        if (users.get(b.username)?.password !== b.password)
          return send(res, 401, { error: { code: 'UNAUTHORIZED', message: 'no' } });
        return send(res, 200, issue(b.username));
      }
      const m = /^\/messages\/history\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && m) {
        if (!tokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
          return send(res, 401, { error: { code: 'UNAUTHORIZED', message: 'no' } });
        }
        const after = Number(url.searchParams.get('after') ?? 0);
        const limit = Number(url.searchParams.get('limit') ?? 50);
        const newer = (rooms.get(decodeURIComponent(m[1]!)) ?? []).filter((x) => x.seq > after);
        return send(res, 200, { messages: newer.slice(0, limit), hasMore: newer.length > limit });
      }
      send(res, 404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    })();
  });

  const io = new IoServer(server, { transports: ['websocket'] });
  const lastSeq = new Map<string, number>();
  const sent = new Map<string, Message>();
  io.use((socket, next) => {
    const user = tokens.get((socket.handshake.auth as { token?: string }).token ?? '');
    if (!user) return next(new Error('unauthorized'));
    socket.data.user = user;
    next();
  });
  io.on('connection', (socket) => {
    socket.on('joinRoom', (p: { roomId: string; sinceSeq?: number }, ack: (r: unknown) => void) => {
      void socket.join(p.roomId);
      const since = p.sinceSeq;
      const missed = since === undefined ? [] : (rooms.get(p.roomId) ?? []).filter((m) => m.seq > since);
      ack({ ok: true, room: { id: p.roomId, lastSeq: lastSeq.get(p.roomId) ?? 0 }, missed, hasMore: false });
    });
    socket.on('sendMessage', (p: { roomId: string; clientMsgId: string; text: string }, ack: (r: unknown) => void) => {
      const user = socket.data.user as { id: string; username: string };
      // A resend of an accepted clientMsgId answers with the original, not broadcast again.
      const original = sent.get(`${user.id}:${p.clientMsgId}`);
      if (original) return ack({ ok: true, message: original });
      const seq = (lastSeq.get(p.roomId) ?? 0) + 1;
      lastSeq.set(p.roomId, seq);
      const message: Message = {
        id: randomBytes(12).toString('hex'),
        roomId: p.roomId,
        seq,
        version: seq,
        senderId: user.id,
        senderName: user.username,
        text: p.text,
        clientMsgId: p.clientMsgId,
        createdAt: new Date().toISOString(),
      };
      accepted++;
      sent.set(`${user.id}:${p.clientMsgId}`, message);
      const stored = rooms.get(p.roomId) ?? [];
      stored.push(message);
      if (faults.storeTwiceEvery && accepted % faults.storeTwiceEvery === 0) stored.push(message);
      rooms.set(p.roomId, stored);
      if (faults.dropDeliveryEvery && accepted % faults.dropDeliveryEvery === 0) {
        socket.to(p.roomId).emit('receiveMessage', message); // everyone but the sender
      } else {
        io.to(p.roomId).emit('receiveMessage', message);
      }
      ack({ ok: true, message });
      if (accepted === faults.disconnectAllAfter) io.disconnectSockets(true);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      await io.close(); // also closes the http server
    },
  };
}
