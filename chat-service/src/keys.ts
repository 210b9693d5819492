/** Every Redis key and channel chat-service uses, under REDIS_KEY_PREFIX. */
export interface ChatKeys {
  /** Socket.IO redis-adapter channel prefix. */
  adapter: string;
  /**
   * The room's seq state, a hash: `last` (the last seq handed out) and `run` (the Redis run_id
   * it was last advanced under). Never expires: reuse after expiry would break ordering.
   */
  roomSequence(roomId: string): string;
  /** The room's recent messages, a sorted set scored by seq. */
  roomRecent(roomId: string): string;
  /** Seq after which the recent buffer holds every accepted message of the room. */
  roomRecentFloor(roomId: string): string;
  /** The user's accepted-send counter for the current rate-limit window. */
  sendRate(userId: string): string;
  /** The user's call-signal counter for the current rate-limit window. */
  callSignalRate(userId: string): string;
  /**
   * The send that makes this message (its id derives from room, sender and clientMsgId, so
   * this is the dedupe key of that triple): pending claim or a compact record once accepted.
   */
  sentMessage(messageId: string): string;
}

export function chatKeys(prefix: string): ChatKeys {
  return {
    adapter: `${prefix}socket.io`,
    roomSequence: (roomId) => `${prefix}room:${roomId}:sequence`,
    roomRecent: (roomId) => `${prefix}room:${roomId}:recent`,
    roomRecentFloor: (roomId) => `${prefix}room:${roomId}:recent-floor`,
    sendRate: (userId) => `${prefix}rate:send:${userId}`,
    callSignalRate: (userId) => `${prefix}rate:call:${userId}`,
    sentMessage: (messageId) => `${prefix}sent:${messageId}`,
  };
}
