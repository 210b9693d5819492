import { ROOM_EVENT_VERSION, type Message, type RoomEvent, type RoomEventType } from '@chat/contracts';

/** The queue body of a room event (contracts `roomEventSchema`): the message's full state after it. */
export function roomEventBody(type: RoomEventType, message: Message): Buffer {
  return Buffer.from(JSON.stringify({ v: ROOM_EVENT_VERSION, type, message } satisfies RoomEvent));
}
