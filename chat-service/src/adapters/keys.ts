import { sharedKeys } from '@chat/contracts';

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
  /** The current state of the room's changed messages, a sorted set scored by version. */
  roomChanges(roomId: string): string;
  /** Version after which the changes set holds every change (edit, delete, reaction) of the room. */
  roomChangesFloor(roomId: string): string;
  /**
   * A message's compact record, written when it is buffered and on each change:
   * `<seq>:<version>:<senderId>:<0|1 deleted>`. Locates its state in the buffers; lives as long as them.
   */
  messageRecord(roomId: string, messageId: string): string;
  /** Held while one change of the message is read, published and recorded (SET NX PX). */
  messageLock(roomId: string, messageId: string): string;
  /** The result of a room event sent with a clientMsgId (the message's state after it), for its resends. */
  roomEvent(eventId: string): string;
  /** The user's accepted-send counter for the current rate-limit window. */
  sendRate(userId: string): string;
  /** The user's call-signal counter for the current rate-limit window. */
  callSignalRate(userId: string): string;
  /** The user's counter of direct conversations opened in the current window. */
  directOpenRate(userId: string): string;
  /**
   * The send that makes this message (its id derives from room, sender and clientMsgId, so
   * this is the dedupe key of that triple): pending claim or a compact record once accepted.
   */
  sentMessage(messageId: string): string;
  /** The rooms the user is a member of, a set (contracts' shared `userRooms`). */
  userRooms(userId: string): string;
  /**
   * Set once the user's rooms set holds their durable membership (loaded from message-service,
   * or found empty there). Lost with the set when Redis loses data, which is how a loss is told
   * from a user without rooms.
   */
  userRoomsLoaded(userId: string): string;
  /** The user's read markers, a hash roomId → seq (only moves forward). */
  readMarkers(userId: string): string;
  /**
   * The users with a connection in the room's presence set (contracts' `roomPresence`), a hash:
   * userId → `<connections>:<displayName>`.
   */
  roomPresenceUsers(roomId: string): string;
  /** Rooms with presence entries, a sorted set scored no later than each room's earliest expiry (what a sweep visits). */
  presenceRooms: string;
  /** Set for TYPING_INTERVAL_MS after a user's `typing: true` was broadcast in the room. */
  typingRate(roomId: string, userId: string): string;
  /** Set while others may still show that user's typing indicator (a `typing: false` then clears it). */
  typingShown(roomId: string, userId: string): string;
}

export function chatKeys(prefix: string): ChatKeys {
  return {
    adapter: `${prefix}socket.io`,
    roomSequence: (roomId) => `${prefix}room:${roomId}:sequence`,
    roomRecent: (roomId) => `${prefix}room:${roomId}:recent`,
    roomRecentFloor: (roomId) => `${prefix}room:${roomId}:recent-floor`,
    roomChanges: (roomId) => `${prefix}room:${roomId}:changes`,
    roomChangesFloor: (roomId) => `${prefix}room:${roomId}:changes-floor`,
    messageRecord: (roomId, messageId) => `${prefix}room:${roomId}:msg:${messageId}`,
    messageLock: (roomId, messageId) => `${prefix}room:${roomId}:msg:${messageId}:lock`,
    roomEvent: (eventId) => `${prefix}event:${eventId}`,
    sendRate: (userId) => `${prefix}rate:send:${userId}`,
    callSignalRate: (userId) => `${prefix}rate:call:${userId}`,
    directOpenRate: (userId) => `${prefix}rate:dm-open:${userId}`,
    sentMessage: (messageId) => `${prefix}sent:${messageId}`,
    userRooms: sharedKeys(prefix).userRooms,
    userRoomsLoaded: (userId) => `${prefix}user:${userId}:rooms-loaded`,
    readMarkers: (userId) => `${prefix}user:${userId}:read`,
    roomPresenceUsers: (roomId) => `${prefix}presence-users:${roomId}`,
    presenceRooms: `${prefix}presence-rooms`,
    typingRate: (roomId, userId) => `${prefix}typing:${roomId}:${userId}`,
    typingShown: (roomId, userId) => `${prefix}typing:${roomId}:${userId}:shown`,
  };
}
