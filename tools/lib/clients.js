// Socket.IO clients as the script drives them (DESIGN.md §3; contracts: packages/contracts/src/socket.ts).
import { io } from 'socket.io-client';

/** SOCKET_PATH in packages/contracts/src/socket.ts. */
export const SOCKET_PATH = '/socket.io';

/**
 * Open one authenticated websocket and wait for `connect`. A refused token (`connect_error`
 * "unauthorized") fails at once; transport errors are retried by socket.io until `timeoutMs`.
 * Later drops reconnect by themselves (the caller rejoins on `connect`).
 */
export function openSocket(url, token, timeoutMs) {
  const socket = io(url, {
    path: SOCKET_PATH,
    transports: ['websocket'],
    auth: { token },
    forceNew: true,
    reconnectionDelay: 250,
    reconnectionDelayMax: 5000,
    timeout: timeoutMs,
  });
  return new Promise((resolve, reject) => {
    let lastError = 'timeout';
    const fail = (reason) => {
      clearTimeout(timer);
      socket.off('connect', ok);
      socket.off('connect_error', onError);
      socket.close();
      reject(new ConnectFailure(reason));
    };
    const ok = () => {
      clearTimeout(timer);
      socket.off('connect_error', onError);
      resolve(socket);
    };
    const onError = (err) => {
      lastError = err && err.message ? err.message : String(err);
      if (lastError === 'unauthorized') fail('unauthorized');
    };
    const timer = setTimeout(() => fail(`connect timeout (last error: ${lastError})`), timeoutMs);
    socket.once('connect', ok);
    socket.on('connect_error', onError);
  });
}

export class ConnectFailure extends Error {
  constructor(reason) {
    super(reason);
    this.name = 'ConnectFailure';
  }
}

/** `joinRoom` and its ack; rejects on an error ack or no ack within `timeoutMs`. */
export async function joinRoom(socket, roomId, sinceSeq, timeoutMs) {
  const payload = sinceSeq >= 0 ? { roomId, sinceSeq } : { roomId };
  let ack;
  try {
    ack = await socket.timeout(timeoutMs).emitWithAck('joinRoom', payload);
  } catch {
    throw new ConnectFailure('joinRoom ack timeout');
  }
  if (!ack || ack.ok !== true) throw new ConnectFailure(`joinRoom refused: ${ack?.error?.code ?? 'no ack body'}`);
  return ack;
}
