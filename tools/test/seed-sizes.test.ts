import { describe, expect, it } from 'vitest';
import { BIG_ROOM_MESSAGES, roomSizes } from '../lib/bench/seed.js';

describe('seeded room sizes', () => {
  it('gives the first rooms 10,000 messages each and spreads the rest evenly, N in all', () => {
    const sizes = roomSizes({ messages: 1_000_000, rooms: 1000 });
    expect(sizes).toHaveLength(1000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1_000_000);
    expect(sizes.slice(0, 10)).toEqual(Array<number>(10).fill(BIG_ROOM_MESSAGES));
    expect(Math.max(...sizes.slice(10)) - Math.min(...sizes.slice(10))).toBeLessThanOrEqual(1);
  });

  it('keeps big rooms to half the messages, and at least one room for the rest', () => {
    const small = roomSizes({ messages: 15_000, rooms: 100 });
    expect(small.filter((n) => n === BIG_ROOM_MESSAGES)).toHaveLength(0);
    expect(small.reduce((a, b) => a + b, 0)).toBe(15_000);
    const oneRoom = roomSizes({ messages: 50_000, rooms: 1 });
    expect(oneRoom).toEqual([50_000]);
  });
});
