import type { EventEmitter } from 'node:events';
import type { ChatSocket } from './socket-types.js';

interface EnginePacket {
  data?: unknown;
}

/** The parts of engine.io's transport used here: a 'drain' once all it was handed is written. */
type Transport = EventEmitter & { socket?: { terminate?: () => void } };

/**
 * Bounds the output a socket may hold unsent (DESIGN.md §4.1): a client that stops reading
 * would otherwise make the node keep every ack and broadcast for it. Counted as packets are
 * created (engine.io's queue) and handed to the transport, until the transport drains; over
 * `maxBytes`, the connection is closed and its buffers dropped. O(1) per packet.
 */
export function guardOutput(socket: ChatSocket, maxBytes: number, onOverflow: (bytes: number) => void): void {
  const conn = socket.conn as unknown as EventEmitter & { transport: Transport; close(discard?: boolean): void };
  /** Created, not yet handed to the transport (engine.io's writeBuffer). */
  let queued = 0;
  /** Handed to the transport, not yet written to the kernel. */
  let sending = 0;
  let overflowed = false;
  const drained = () => {
    sending = 0;
  };
  conn.on('packetCreate', (packet: EnginePacket) => {
    queued += byteSize(packet.data);
    if (overflowed || queued + sending <= maxBytes) return;
    overflowed = true;
    const bytes = queued + sending;
    // Not inside the emit that created the packet: socket.io is mid-write there.
    process.nextTick(() => {
      const transport = conn.transport;
      conn.close(true);
      // ws would otherwise keep the unsent bytes until its 30 s close handshake times out.
      transport.socket?.terminate?.();
      onOverflow(bytes);
    });
  });
  conn.on('flush', () => {
    sending += queued;
    queued = 0;
  });
  conn.transport.on('drain', drained);
  conn.on('upgrade', (transport: Transport) => transport.on('drain', drained));
}

function byteSize(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}
