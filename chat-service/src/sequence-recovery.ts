import { AppError, type Logger } from '@chat/service-kit';
import type { SendAdmission } from './admission.js';
import type { HistoryClient } from './history-client.js';
import type { RecentBuffer } from './recent-buffer.js';

export interface SequenceRecoveryDeps {
  admission: SendAdmission;
  recent: RecentBuffer;
  history: HistoryClient;
  /** Covers messages accepted but not yet persisted when Redis lost the counter. */
  marginSeq: number;
  log: Logger;
}

/**
 * Seeds a missing room counter above every seq the room may have used. Two floors:
 * - the highest stored (history, read with the sender's token) or buffered seq plus a margin
 *   for messages accepted but not yet persisted;
 * - the clock in milliseconds. The margin alone fails when nothing was persisted since the
 *   previous seed (a new room whose first messages are still queued: history is empty, so
 *   the same seed would come back and seqs be reused). Seeding at or above `Date.now()`
 *   makes every later seed exceed every earlier counter as long as a room averages under
 *   one message per millisecond between seeds (node clocks assumed within that slack).
 * SET NX makes concurrent seeders on several nodes agree; one recovery per room per node.
 */
export function createSequenceRecovery(deps: SequenceRecoveryDeps) {
  const running = new Map<string, Promise<void>>();

  async function recover(roomId: string, token: string): Promise<void> {
    let highest: number;
    try {
      const [newest, buffered] = await Promise.all([
        deps.history.page(roomId, { limit: 1 }, token),
        deps.recent.highestSeq(roomId),
      ]);
      highest = Math.max(newest.messages.at(-1)?.seq ?? 0, buffered ?? 0);
    } catch (err) {
      throw new AppError('UNAVAILABLE', 'room sequence cannot be recovered now; retry', { cause: err });
    }
    const floor = Math.max(highest + deps.marginSeq, Date.now());
    await deps.admission.seedSequence(roomId, floor);
    deps.log.info({ roomId, highest, floor }, 'room sequence seeded');
  }

  return (roomId: string, token: string): Promise<void> => {
    let run = running.get(roomId);
    if (!run) {
      run = recover(roomId, token).finally(() => running.delete(roomId));
      running.set(roomId, run);
    }
    return run;
  };
}

export type RecoverSequence = ReturnType<typeof createSequenceRecovery>;
