/** Every Redis key message-service writes, under REDIS_KEY_PREFIX. */
export function messageServiceKeys(prefix: string) {
  return {
    /**
     * Per-room counter, INCRed after each stored batch; part of every page key of the room.
     * No TTL: were it to expire and restart from 0, an old page under a reused version could come back.
     */
    historyVersion: (roomId: string) => `${prefix}history:version:${roomId}`,
    /** One cached history page: the room's version when it was read, and the page's query. */
    historyPage: (roomId: string, version: string, page: string) =>
      `${prefix}history:page:${roomId}:v${version}:${page}`,
    /**
     * The highest seq known stored in MongoDB for the room, raised (never lowered) by the
     * consumer after each write. Not a contiguity proof: seqs may have gaps, and a message
     * below it may still be on its way (retried) or in the DLQ. No TTL.
     */
    roomStoredMax: (roomId: string) => `${prefix}room:${roomId}:stored-max`,
    /**
     * The room's state for the room list (RoomDoc, membership-model.ts), in room-states.ts's
     * format, only ever merged with a newer one; `0|0|0|` for a room MongoDB holds no state of.
     * Ahead of MongoDB's by up to 1.5 × ROOM_STATE_PERSIST_MS. Expires a week after its last
     * write or fill. `state2`: the JSON copies before 2026-12-02, under `state`, are left to
     * expire, so replicas of either version never read the other's.
     */
    roomState: (roomId: string) => `${prefix}room:${roomId}:state2`,
    /**
     * A user's unread counts per room: a hash `roomId` → `<lastReadSeq>:<v version|s lastSeq>|<unread>|<mentions>`,
     * valid while the marker and the room's cache version (or state `lastSeq`) are those (room-list.ts). Expires after a day unused.
     */
    roomCounts: (userId: string) => `${prefix}room-counts:${userId}`,
    /**
     * Per room, a hash: seq block → generation, bumped by the consumer after every write to a
     * message of the block; `writes`, bumped with them; `floor`, the block of the room's floor
     * (block-summaries.ts). No TTL, as the history version: were it to restart from 0, a summary
     * tagged with a reused generation could come back.
     */
    blockGens: (roomId: string) => `${prefix}room:${roomId}:block-gens`,
    /** What counting needs of one block's messages, tagged with the block's generation when read (block-summaries.ts). */
    blockSummary: (roomId: string, block: number) => `${prefix}room:${roomId}:block-summary:${block}`,
    /** A user's reads in the current one-second window (history, room list, members; search later). */
    readRate: (userId: string) => `${prefix}rate:read:${userId}`,
    /** A user's uploads in the current one-minute window. */
    uploadRate: (userId: string) => `${prefix}rate:upload:${userId}`,
  };
}

export type MessageServiceKeys = ReturnType<typeof messageServiceKeys>;
