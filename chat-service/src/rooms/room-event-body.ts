import { ROOM_EVENT_VERSION, type Message, type RoomEventType } from '@chat/contracts';

const CLOSE_BRACE = '}'.charCodeAt(0);

/**
 * The queue body of a room event (contracts `roomEventSchema`: `{v, type, message}`), the
 * message's full state after it. A caller that already serialised the message passes its JSON,
 * spliced in rather than serialised again.
 */
export function roomEventBody(type: RoomEventType, message: Message, messageJson = JSON.stringify(message)): Buffer {
  const head = `{"v":${ROOM_EVENT_VERSION},"type":"${type}","message":`;
  // Written into the buffer piece by piece: a template of the whole was first flattened into
  // a copy of the JSON, about 0.7 KB a send.
  const body = Buffer.allocUnsafe(head.length + Buffer.byteLength(messageJson) + 1);
  body.write(messageJson, body.write(head));
  body[body.length - 1] = CLOSE_BRACE;
  return body;
}
