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
  return singleFlightPerRoom(async (roomId, token) => {
    const highest = await highestKnownSeq(deps, roomId, token);
    const floor = Math.max(highest + deps.marginSeq, Date.now());
    await deps.admission.seedSequence(roomId, floor);
    deps.log.info({ roomId, highest, floor }, 'room sequence seeded');
  });
}

export type RecoverSequence = ReturnType<typeof createSequenceRecovery>;

/**
 * After Redis restarted (see RedisRestarts), a room's counter may exist but be older than
 * seqs already used, and would hand them out again. Before a room's first send after a
 * restart, raise its counter above the highest stored or buffered seq plus the margin (a
 * missing counter is left to recovery). Costs one history read per active room per restart.
 */
export function createSequenceCheck(deps: SequenceRecoveryDeps & { restarts: () => Promise<number> }) {
  let checkedFor = 0;
  const checked = new Set<string>();
  const raise = singleFlightPerRoom(async (roomId, token) => {
    const highest = await highestKnownSeq(deps, roomId, token);
    await deps.admission.raiseSequence(roomId, highest + deps.marginSeq);
  });
  return async (roomId: string, token: string): Promise<void> => {
    const restarts = await deps.restarts();
    if (restarts === 0) return;
    if (restarts !== checkedFor) {
      checkedFor = restarts;
      checked.clear();
    }
    if (checked.has(roomId)) return;
    await raise(roomId, token);
    if (restarts === checkedFor) checked.add(roomId);
  };
}

export type CheckSequence = ReturnType<typeof createSequenceCheck>;

/** The highest seq the room is known to have used: stored (history) or buffered. */
async function highestKnownSeq(deps: SequenceRecoveryDeps, roomId: string, token: string): Promise<number> {
  try {
    const [newest, buffered] = await Promise.all([
      deps.history.page(roomId, { limit: 1 }, token),
      deps.recent.highestSeq(roomId),
    ]);
    return Math.max(newest.messages.at(-1)?.seq ?? 0, buffered ?? 0);
  } catch (err) {
    throw new AppError('UNAVAILABLE', 'room sequence cannot be recovered now; retry', { cause: err });
  }
}

/** One run per room at a time on this node; callers for the same room share it. */
function singleFlightPerRoom(run: (roomId: string, token: string) => Promise<void>) {
  const running = new Map<string, Promise<void>>();
  return (roomId: string, token: string): Promise<void> => {
    let current = running.get(roomId);
    if (!current) {
      current = run(roomId, token).finally(() => running.delete(roomId));
      running.set(roomId, current);
    }
    return current;
  };
}
