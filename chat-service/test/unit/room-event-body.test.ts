import { roomEventSchema } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { roomEventBody } from '../../src/rooms/room-event-body.js';
import { fakeMessage } from '../helpers.js';

describe('room event body', () => {
  it('is the contract shape, whether the message JSON is passed or made', () => {
    const message = { ...fakeMessage('r1', 7), text: 'quote " and \\ and ✓' };
    for (const body of [roomEventBody('message', message), roomEventBody('edit', message, JSON.stringify(message))]) {
      const parsed: unknown = JSON.parse(body.toString());
      expect(roomEventSchema.parse(parsed)).toEqual(parsed);
      expect(parsed).toMatchObject({ v: 1, message });
    }
  });
});
