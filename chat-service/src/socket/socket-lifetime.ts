import { refreshTokenPayloadSchema } from '@chat/contracts';
import { AppError, parseOrThrow, type VerifyToken } from '@chat/service-kit';
import type { ChatSocket } from './socket-types.js';

/** setTimeout's longest delay; a longer one would fire at once. A later token re-arms on firing. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Phase = 'warn' | 'expire';

export interface SocketLifetimeOptions {
  verifyToken: VerifyToken;
  /** `tokenExpiring` goes out this long before the token's expiry. */
  warningMs: number;
  /** The token expired without a refresh: end the socket. */
  onExpired: (socket: ChatSocket) => void;
}

/**
 * A socket lives no longer than its token (DESIGN.md §3): one timer per socket, first for the
 * `tokenExpiring` notice, then for the disconnect; `refreshToken` re-arms it. The timer holds
 * only the socket and its phase (a shared callback, no closure per socket), and is cleared on
 * disconnect.
 */
export class SocketLifetimes {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly opts: SocketLifetimeOptions) {}

  /** (Re)starts the socket's clock from the expiry of its current token (none: lives on). */
  start(socket: ChatSocket): void {
    this.stop(socket);
    const expiresAtMs = tokenExpiryMs(socket);
    // A refresh answered after the disconnect must not leave a timer holding the socket.
    if (expiresAtMs !== undefined && socket.connected) {
      this.arm(socket, 'warn', expiresAtMs - this.opts.warningMs);
    }
  }

  stop(socket: ChatSocket): void {
    clearTimeout(this.timers.get(socket.id));
    this.timers.delete(socket.id);
  }

  /** How many sockets have a running clock (for tests and metrics). */
  get size(): number {
    return this.timers.size;
  }

  /**
   * `refreshToken {token}`: a valid token of the same user that expires no earlier than the
   * current one replaces it (identity and the token forwarded for history reads included).
   */
  refresh(socket: ChatSocket, payload: unknown): { ok: true; expiresAt: number } {
    const { token } = parseOrThrow(refreshTokenPayloadSchema, payload);
    const identity = this.opts.verifyToken(token);
    if (identity.userId !== socket.data.user.userId) {
      throw new AppError('FORBIDDEN', 'the token belongs to another user');
    }
    if (identity.expiresAt === undefined) throw new AppError('UNAUTHORIZED', 'the token has no expiry');
    const current = tokenExpiryMs(socket) ?? Infinity;
    const next = identity.expiresAt * 1000;
    if (next < current) {
      throw new AppError('INVALID', 'the token expires before the current one', { field: 'token' });
    }
    socket.data.user = identity;
    socket.data.token = token;
    // The same expiry again (a resent token) keeps the clock and sends no second notice.
    if (next !== current) this.start(socket);
    return { ok: true, expiresAt: next };
  }

  private arm(socket: ChatSocket, phase: Phase, atMs: number): void {
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, atMs - Date.now()));
    this.timers.set(socket.id, setTimeout(this.fire, delay, socket, phase).unref());
  }

  private readonly fire = (socket: ChatSocket, phase: Phase): void => {
    const expiresAtMs = tokenExpiryMs(socket)!;
    const now = Date.now();
    if (phase === 'warn') {
      const warnAtMs = expiresAtMs - this.opts.warningMs;
      if (now < warnAtMs) return this.arm(socket, 'warn', warnAtMs);
      if (now < expiresAtMs) socket.emit('tokenExpiring', { expiresAt: expiresAtMs });
      return this.arm(socket, 'expire', expiresAtMs);
    }
    if (now < expiresAtMs) return this.arm(socket, 'expire', expiresAtMs);
    this.timers.delete(socket.id);
    this.opts.onExpired(socket);
  };
}

/** The socket's token expiry in epoch ms (jsonwebtoken's rule: expired from `exp` seconds on). */
function tokenExpiryMs(socket: ChatSocket): number | undefined {
  const exp = socket.data.user.expiresAt;
  return exp === undefined ? undefined : exp * 1000;
}
