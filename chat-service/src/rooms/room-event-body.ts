import { ROOM_EVENT_VERSION, type Message, type RoomEventType } from '@chat/contracts';

/**
 * The queue body of a room event (contracts `roomEventSchema`: `{v, type, message}`), the
 * message's full state after it. A caller that already serialised the message passes its JSON,
 * spliced in rather than serialised again.
 */
export function roomEventBody(type: RoomEventType, message: Message, messageJson = JSON.stringify(message)): Buffer {
  return Buffer.from(`{"v":${ROOM_EVENT_VERSION},"type":"${type}","message":${messageJson}}`);
}
