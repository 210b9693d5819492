import { describe, expect, it } from 'vitest';
import { groupRows } from '../src/messages/grouping.js';
import { timelineItems, timelineReducer, emptyTimeline } from '../src/messages/timeline.js';
import { message } from './fixtures.js';

const at = (iso: string) => ({ createdAt: new Date(iso).toISOString() });
const rowsFor = (...messages: ReturnType<typeof message>[]) =>
  groupRows(
    timelineItems(
      timelineReducer(emptyTimeline, { type: 'historyPage', messages, hasMore: false, direction: 'older' }),
    ),
  );

describe('groupRows', () => {
  it('puts a day separator before the first message of each local day', () => {
    const rows = rowsFor(
      message(1, at('2026-01-01T10:00:00')),
      message(2, at('2026-01-01T18:00:00')),
      message(3, at('2026-01-02T09:00:00')),
    );
    expect(rows.map((r) => r.kind)).toEqual(['day', 'item', 'item', 'day', 'item']);
  });

  it('continues a run of one sender within five minutes, and starts a new one otherwise', () => {
    const rows = rowsFor(
      message(1, at('2026-01-01T10:00:00')),
      message(2, at('2026-01-01T10:03:00')),
      message(3, { ...at('2026-01-01T10:04:00'), senderId: 'c'.repeat(24), senderName: 'Carol' }),
      message(4, at('2026-01-01T10:05:00')),
      message(5, at('2026-01-01T10:20:00')),
    ).filter((r) => r.kind === 'item');
    expect(rows.map((r) => r.kind === 'item' && r.continued)).toEqual([false, true, false, false, false]);
  });
});
