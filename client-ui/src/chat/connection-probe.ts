import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';

type ProbedSocket = Pick<Socket<ServerToClientEvents, ClientToServerEvents>, 'timeout'>;

export interface ConnectionProbeOptions {
  intervalMs: number;
  /** Unanswered this long: the connection is shown as stalled ("Reconnecting…"). */
  stallAfterMs: number;
  /** Unanswered this long: the connection is dead and `onDead` replaces it. */
  deadAfterMs: number;
  onStalledChange: () => void;
  onDead: () => void;
}

/**
 * Proves a "connected" socket really is: a socket.io connection whose network went away
 * keeps saying connected until engine.io's ping times out (45 s by default), while sends sit
 * unanswered. So every interval, and when the browser says the network is back, it asks for
 * a cheap acknowledgement: `leaveRoom {roomId: ''}`, refused as INVALID without touching
 * anything — any answer proves the round trip.
 */
export class ConnectionProbe {
  private socket: ProbedSocket | undefined;
  private interval: ReturnType<typeof setInterval> | undefined;
  private probing = false;
  /** Bumped on every attach and detach: an answer on an earlier connection is ignored. */
  private generation = 0;
  stalled = false;

  constructor(private readonly opts: ConnectionProbeOptions) {}

  /** Watch a socket that just connected. */
  attach(socket: ProbedSocket): void {
    this.detach();
    this.socket = socket;
    this.interval = setInterval(() => void this.check(), this.opts.intervalMs);
  }

  detach(): void {
    clearInterval(this.interval);
    this.socket = undefined;
    this.generation++;
    this.probing = false;
    this.setStalled(false);
  }

  async check(): Promise<void> {
    const socket = this.socket;
    if (!socket || this.probing) return;
    const generation = this.generation;
    this.probing = true;
    const stall = setTimeout(() => this.setStalled(true), this.opts.stallAfterMs);
    let alive = true;
    try {
      await socket.timeout(this.opts.deadAfterMs).emitWithAck('leaveRoom', { roomId: '' });
    } catch {
      alive = false;
    } finally {
      clearTimeout(stall);
    }
    if (generation !== this.generation) return;
    this.probing = false;
    this.setStalled(false);
    if (!alive) this.opts.onDead();
  }

  private setStalled(stalled: boolean): void {
    if (stalled === this.stalled) return;
    this.stalled = stalled;
    this.opts.onStalledChange();
  }
}
