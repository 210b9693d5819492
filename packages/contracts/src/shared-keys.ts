/**
 * Redis keys written by one service and read by another, under REDIS_KEY_PREFIX. Keys private
 * to a service stay in that service's own key builder.
 */
export interface SharedKeys {
  /** An upload's {@link FileRecord} as JSON (written by message-service, read by chat-service). */
  fileRecord(fileId: string): string;
  /**
   * Who is online in the room: a sorted set of `<userId>:<connectionId>` members scored by the
   * unix ms until which that connection counts as alive (refreshed by its node's heartbeat).
   * Written by chat-service, read by message-service for `online` in the members list.
   */
  roomPresence(roomId: string): string;
  /** The rooms a user is a member of, a set (chat-service's fast copy of the durable membership). */
  userRooms(userId: string): string;
}

export function sharedKeys(prefix: string): SharedKeys {
  return {
    fileRecord: (fileId) => `${prefix}file:${fileId}`,
    roomPresence: (roomId) => `${prefix}presence:${roomId}`,
    userRooms: (userId) => `${prefix}user:${userId}:rooms`,
  };
}

/** The user ids with a connection alive at `nowMs`, from a {@link SharedKeys.roomPresence} set's members and scores. */
export function onlineUserIds(
  entries: ReadonlyArray<readonly [member: string, score: number]>,
  nowMs: number,
): Set<string> {
  const online = new Set<string>();
  for (const [member, score] of entries) {
    if (score > nowMs) online.add(member.slice(0, member.indexOf(':')));
  }
  return online;
}
