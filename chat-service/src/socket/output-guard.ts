import type { ChatServer, ChatSocket } from './socket-types.js';

interface EnginePacket {
  data?: unknown;
}

/** The parts of engine.io's connection read here. */
interface EngineConn {
  /** Packets created, not yet handed to the transport. */
  writeBuffer?: EnginePacket[];
  /** The websocket transport's `ws` socket: `bufferedAmount` is what it holds unsent. */
  transport?: { socket?: { bufferedAmount?: number; terminate?: () => void } };
  close(discard?: boolean): void;
}

/** How often every socket's unsent output is looked at. */
export const OUTPUT_CHECK_MS = 1000;

/**
 * Bounds the output a socket may hold unsent (DESIGN.md §4.1): a client that stops reading
 * would otherwise make the node keep every ack and broadcast for it. Every OUTPUT_CHECK_MS
 * each socket's engine.io queue plus what its websocket holds unsent is summed; over
 * `maxBytes` the connection is closed and its buffers dropped. A socket can so hold at most
 * `maxBytes` plus what one interval adds (its joins and events are rate-limited).
 *
 * A sweep rather than listeners on every packet: those ran on each of the node's deliveries
 * (three listener calls per packet) and cost the send path measurable latency under load
 * (docs/performance-history.md); a sweep costs O(sockets) a second, nothing per delivery.
 * Returns a stop function.
 */
export function guardOutput(
  io: ChatServer,
  maxBytes: number,
  onOverflow: (socket: ChatSocket, bytes: number) => void,
): () => void {
  const timer = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      const conn = socket.conn as unknown as EngineConn;
      const bytes = unsentBytes(conn);
      if (bytes <= maxBytes) continue;
      const transport = conn.transport;
      conn.close(true);
      // ws would otherwise keep the unsent bytes until its 30 s close handshake times out.
      transport?.socket?.terminate?.();
      onOverflow(socket, bytes);
    }
  }, OUTPUT_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

function unsentBytes(conn: EngineConn): number {
  let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer ?? []) bytes += byteSize(packet.data);
  return bytes;
}

function byteSize(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}
