/** Every Redis key and channel chat-service uses, under REDIS_KEY_PREFIX. */
export interface ChatKeys {
  /** Socket.IO redis-adapter channel prefix. */
  adapter: string;
  /** The room's seq counter (never expires: reuse after expiry would break ordering). */
  roomSeq(roomId: string): string;
  /** The room's recent messages, a sorted set scored by seq. */
  roomRecent(roomId: string): string;
  /** Seq after which the recent buffer holds every accepted message of the room. */
  roomRecentFloor(roomId: string): string;
  /** When each buffered seq was pushed (Redis time, ms): finds out-of-order broadcasts. */
  roomRecentPushed(roomId: string): string;
  /** The user's accepted-send counter for the current rate-limit window. */
  sendRate(userId: string): string;
  /** The user's send with this clientMsgId: pending marker or the accepted message. */
  sentMessage(userId: string, clientMsgId: string): string;
}

export function chatKeys(prefix: string): ChatKeys {
  return {
    adapter: `${prefix}socket.io`,
    roomSeq: (roomId) => `${prefix}room:${roomId}:seq`,
    roomRecent: (roomId) => `${prefix}room:${roomId}:recent`,
    roomRecentFloor: (roomId) => `${prefix}room:${roomId}:recent-floor`,
    roomRecentPushed: (roomId) => `${prefix}room:${roomId}:recent-pushed`,
    sendRate: (userId) => `${prefix}rate:send:${userId}`,
    sentMessage: (userId, clientMsgId) => `${prefix}sent:${userId}:${clientMsgId}`,
  };
}
