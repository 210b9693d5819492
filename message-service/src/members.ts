import type { Member, SharedKeys } from '@chat/contracts';
import type { Logger } from '@chat/service-kit';
import type { Redis } from 'ioredis';
import type { MembershipStore } from './membership-store.js';
import type { MessageServiceMetrics } from './metrics.js';
import { onlineInRoom } from './presence.js';
import type { UserDirectory } from './user-directory.js';

export interface MemberListDeps {
  store: MembershipStore;
  directory: UserDirectory;
  redis: Redis;
  sharedKeys: SharedKeys;
  redisTimeoutMs: number;
  metrics: MessageServiceMetrics;
  log: Logger;
}

/**
 * A room's members (DESIGN.md §2): names from the membership documents, the rest from
 * user-service with the caller's token (the id when it does not answer), online from
 * chat-service's presence set (all offline when Redis does not answer). Neither failure fails the list.
 */
export async function listMembers(deps: MemberListDeps, roomId: string, authorization: string): Promise<Member[]> {
  const docs = await deps.store.membersOf(roomId);
  const unnamed = docs.filter((d) => d.displayName === undefined).map((d) => d.userId);
  const [names, online] = await Promise.all([
    unnamed.length === 0
      ? new Map<string, string>()
      : deps.directory.displayNames(unnamed, authorization).catch((err: unknown) => {
          deps.metrics.memberNameFailures.inc();
          deps.log.warn({ err: (err as Error).message, roomId }, 'member names unavailable; showing ids');
          return new Map<string, string>();
        }),
    onlineInRoom(deps.redis, deps.sharedKeys, roomId, deps.redisTimeoutMs).catch((err: unknown) => {
      deps.metrics.presenceFailures.inc();
      deps.log.warn({ err: (err as Error).message, roomId }, 'presence unavailable; members shown offline');
      return new Set<string>();
    }),
  ]);
  return docs.map((d) => ({
    userId: d.userId,
    displayName: d.displayName ?? names.get(d.userId) ?? d.userId,
    online: online.has(d.userId),
    lastReadSeq: d.lastReadSeq,
  }));
}
