import { describe, expect, it } from 'vitest';
import { emptyTimeline, timelineReducer, type Timeline, type TimelineAction } from '../src/messages/timeline.js';
import { message as msg } from './fixtures.js';

const run = (...actions: TimelineAction[]): Timeline => actions.reduce(timelineReducer, emptyTimeline);
const page = (...messages: ReturnType<typeof msg>[]): TimelineAction => ({
  type: 'historyPage',
  messages,
  hasMore: false,
  direction: 'older',
});
const texts = (t: Timeline) => t.messages.map((m) => m.text);

describe('updates apply by version', () => {
  it('a messageUpdated with a higher version replaces the copy held, in place', () => {
    const edited = msg(2, { text: 'fixed typo', version: 4, editedAt: '2026-01-01T12:01:00.000Z' });
    const t = run(page(msg(1), msg(2), msg(3)), { type: 'live', message: edited });
    expect(texts(t)).toEqual(['message 1', 'fixed typo', 'message 3']);
    expect(t.messages[1]!.editedAt).toBe('2026-01-01T12:01:00.000Z');
    // The change took room seq 4: a rejoin resumes after it, not after the last message's seq.
    expect(t.lastSeq).toBe(4);
  });

  it('a late copy with a lower or equal version never moves a message backwards, from any route', () => {
    const deleted = msg(2, { text: '', version: 6, deletedAt: '2026-01-01T12:02:00.000Z' });
    const start = run(page(msg(1), msg(2), msg(3)), { type: 'live', message: deleted });
    const stale = msg(2, { text: 'old', version: 4 });
    for (const action of [
      { type: 'live', message: stale },
      { type: 'missedBatch', messages: [stale] },
      page(msg(1), stale, msg(3)),
      { type: 'historyPage', messages: [stale], hasMore: false, direction: 'newer' },
      { type: 'ackOk', clientMsgId: 'x', message: stale },
      // Same version twice: nothing changes either.
      { type: 'live', message: deleted },
    ] satisfies TimelineAction[]) {
      expect(timelineReducer(start, action).messages).toBe(start.messages);
    }
    expect(start.messages[1]!.deletedAt).toBeDefined();
  });

  it('a join’s missed batch and a history page bring a change made while away', () => {
    const reacted = msg(1, { version: 9, reactions: [{ emoji: '👍', userIds: ['u1'] }] });
    const fromJoin = run(page(msg(1), msg(2)), { type: 'missedBatch', messages: [reacted, msg(8)] });
    expect(fromJoin.messages.map((m) => [m.seq, m.version])).toEqual([
      [1, 9],
      [2, 2],
      [8, 8],
    ]);
    // A reload: the history page itself carries the current state.
    const reloaded = run(page(reacted, msg(2)));
    expect(reloaded.messages[0]!.reactions).toEqual([{ emoji: '👍', userIds: ['u1'] }]);
  });

  it('an update of a message below the loaded pages waits for scroll-back to bring it', () => {
    const t = run({ type: 'historyPage', messages: [msg(10), msg(11)], hasMore: true, direction: 'older' });
    const next = timelineReducer(t, { type: 'live', message: msg(3, { text: 'edited', version: 12 }) });
    expect(next.messages.map((m) => m.seq)).toEqual([10, 11]);
  });
});
