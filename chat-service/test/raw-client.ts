import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { SOCKET_PATH } from '@chat/contracts';

/**
 * A Socket.IO client over a bare TCP socket that speaks just enough WebSocket to connect and
 * write frames, and can stop reading (`pause()`), as a client that never reads its acks
 * would: the server's output then piles up. Server frames are only searched, never parsed.
 */
export class RawSocketIoClient {
  private received = '';
  /** The Socket.IO socket id the server gave (find it in `io.of('/').sockets`). */
  id = '';
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
  }

  /** Opens a WebSocket to the node and completes the Socket.IO connect with `auth: {token}`. */
  static async connect(url: string, token: string): Promise<RawSocketIoClient> {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawSocketIoClient(socket);
    socket.write(
      `GET ${SOCKET_PATH}/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
        `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
    );
    await client.waitFor('"sid"');
    client.send(`40${JSON.stringify({ token })}`);
    await client.waitFor('40{"sid"');
    client.id = /40\{"sid":"([^"]+)"/.exec(client.received)![1]!;
    return client;
  }

  get closed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  /** Resolves once `text` has come from the server, fails after 10 s. */
  async waitFor(text: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!this.received.includes(text)) {
      if (this.closed || Date.now() > deadline) throw new Error(`no "${text}" from the server`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Sends one Socket.IO event with an ack id. */
  emit(ackId: number, event: string, ...args: unknown[]): void {
    this.send(`42${ackId}${JSON.stringify([event, ...args])}`);
  }

  /** Writes one text frame (masked, as a client must). */
  send(text: string): void {
    const payload = Buffer.from(text);
    const mask = randomBytes(4);
    const len = payload.length;
    const header =
      len < 126
        ? Buffer.from([0x81, 0x80 | len])
        : len < 65_536
          ? Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff])
          : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), bigEndian64(len)]);
    for (let i = 0; i < len; i++) payload[i]! ^= mask[i % 4]!;
    this.socket.write(Buffer.concat([header, mask, payload]));
  }

  /** Stop reading: the kernel buffers fill, then the server's. */
  pause(): void {
    this.socket.pause();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
