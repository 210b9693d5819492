import type { Logger } from '@chat/service-kit';
import type { Message } from '@chat/contracts';
import { within } from './within.js';

/** Per room, the two messages the room state is raised from: the newest, and the highest version. */
interface RoomActivity {
  newest: Message;
  highest: Message;
}

/** Rooms written to MongoDB in one step of a round: each step is one burst of single-document updates. */
export const ROOMS_PER_STEP = 4;

/**
 * Coalesces the room-state writes of the consumer (last message, last seq: room-states.ts) and
 * writes them every `intervalMs`, one per room that changed, instead of one per room per
 * batch. On FerretDB each update is a document read, rewritten in Go and written back; at 500
 * msg/s over 50 rooms the per-batch writes cost FerretDB and PostgreSQL more CPU than the
 * messages themselves. The price: what is written trails the stored messages by up to
 * 1.5 × `intervalMs`, and a process killed without its drain loses that much of it (the room's
 * next message repairs it). `stop()` writes what is held at once.
 *
 * A round is paced: `roomsPerStep` rooms at a time, the steps spread over half the interval.
 * Written all at once, 50 rooms' updates were a burst of ~200 ms of FerretDB CPU every round
 * that took the cores from chat-service (docs/performance-history.md, 2026-12-01 02:49; issue 11). A timer tick that
 * finds a round still running (many rooms, a slow store) is skipped: its rooms keep
 * coalescing for the next. A failed step ends the round and keeps every room not yet
 * written, so an outage costs one write's timeout per round, not one per step.
 */
export class RoomActivityBuffer {
  private pending = new Map<string, RoomActivity>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** A round is being written (timer ticks meanwhile are skipped). */
  private writing = false;
  /** Set by stop(): the steps still to write go without pauses. */
  private hurry = false;
  /** Ends the pause between two steps early (stop()). */
  private wake: (() => void) | null = null;
  /** Set by stop(): when the steps still to write are given up (performance.now()). */
  private deadline = Infinity;

  constructor(
    private readonly write: (messages: Message[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly roomsPerStep = ROOMS_PER_STEP,
  ) {}

  /** Holds the rooms' newest state from messages just stored. */
  add(stored: Message[]): void {
    for (const m of stored) {
      const held = this.pending.get(m.roomId);
      if (!held) {
        this.pending.set(m.roomId, { newest: m, highest: m });
        continue;
      }
      if (m.seq > held.newest.seq || (m.seq === held.newest.seq && m.version > held.newest.version)) held.newest = m;
      if (m.version > held.highest.version) held.highest = m;
    }
  }

  start(): void {
    if (this.timer) return;
    this.hurry = false;
    this.deadline = Infinity;
    this.timer = setInterval(() => {
      if (!this.writing) void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  /**
   * Writes what is held, paced in steps; a failed step keeps the rooms not yet written for the
   * next round (newer states merged in).
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const held = [...this.pending.values()];
      this.pending = new Map();
      const perStep = Math.min(this.roomsPerStep, held.length);
      const steps = Math.ceil(held.length / perStep);
      // Below a millisecond a timer would round each pause up: no pauses then.
      const pauseMs = this.intervalMs / 2 / steps >= 1 ? this.intervalMs / 2 / steps : 0;
      this.writing = true;
      try {
        for (let step = 0; step < steps; step++) {
          if (step > 0 && pauseMs > 0) await this.pause(pauseMs);
          // Past stop()'s budget: kept for a restart, and stop() says so once.
          if (performance.now() > this.deadline) {
            for (const { newest, highest } of held.slice(step * perStep)) this.add([newest, highest]);
            return;
          }
          const rooms = held.slice(step * perStep, (step + 1) * perStep);
          try {
            await this.write(rooms.flatMap(({ newest, highest }) => [newest, highest]));
          } catch (err) {
            this.log.warn({ err }, 'room state not written; retried next round');
            for (const { newest, highest } of held.slice(step * perStep)) this.add([newest, highest]);
            return;
          }
        }
      } finally {
        this.writing = false;
      }
    });
    return this.flushing;
  }

  /**
   * Writes what is held without pauses, within `budgetMs`: the steps not begun by then are
   * given up (their rooms kept), and a write still waiting then (MongoDB unreachable) is left
   * to end on its own, so closing goes on.
   */
  async stop(budgetMs = Infinity): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.hurry = true;
    this.deadline = performance.now() + budgetMs;
    this.wake?.();
    const flushed = this.flush();
    // No timer for an unbounded stop: Node fires one of Infinity ms at once.
    const outcome = Number.isFinite(budgetMs)
      ? await within(budgetMs, flushed)
      : await flushed.then(() => 'done' as const);
    if (outcome === 'timeout' || this.pending.size > 0) {
      this.log.warn(
        { rooms: this.pending.size, writeRunning: outcome === 'timeout' },
        "room state not written at stop; each room's next message writes it",
      );
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.hurry) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wake = done;
    });
  }
}
