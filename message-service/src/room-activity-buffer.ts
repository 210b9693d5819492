import type { Logger } from '@chat/service-kit';
import type { Message } from '@chat/contracts';

/** Per room, the two messages the room state is raised from: the newest, and the highest version. */
interface RoomActivity {
  newest: Message;
  highest: Message;
}

/**
 * Coalesces the room-state writes of the consumer (`rooms`: last message, last seq, rev) and
 * writes them every `intervalMs`, one update per room that changed, instead of one per room per
 * batch. On FerretDB each update is a document read, rewritten in Go and written back; at 500
 * msg/s over 50 rooms the per-batch writes cost FerretDB and PostgreSQL more CPU than the
 * messages themselves. The price: the room list's `lastMessage`/`lastSeq` trail the stored
 * messages by up to `intervalMs`, and a process killed without its drain loses that much of
 * them (the room's next message repairs them). `stop()` writes what is held.
 */
export class RoomActivityBuffer {
  private pending = new Map<string, RoomActivity>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (messages: Message[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly log: Logger,
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
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Writes what is held; a failed write keeps it for the next round (newer states merged in). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const held = this.pending;
      this.pending = new Map();
      try {
        await this.write([...held.values()].flatMap(({ newest, highest }) => [newest, highest]));
      } catch (err) {
        this.log.warn({ err }, 'room state not written; retried next round');
        for (const { newest, highest } of held.values()) this.add([newest, highest]);
      }
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
