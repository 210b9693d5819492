import { describe, expect, it } from 'vitest';
import {
  changesReducer,
  withPendingChanges,
  type ChangesAction,
  type PendingChange,
} from '../src/messages/pending-changes.js';
import { reactionChips, toggleReaction } from '../src/messages/reactions.js';
import { ALICE_ID, ME_ID, message as msg } from './fixtures.js';

const run = (...actions: ChangesAction[]) => actions.reduce(changesReducer, [] as readonly PendingChange[]);

describe('reactions', () => {
  it('toggling adds and removes only the reader, idempotently, and drops an emoji nobody holds', () => {
    const start = [{ emoji: '👍', userIds: [ALICE_ID] }];
    const added = toggleReaction(start, '👍', ME_ID, true);
    expect(added).toEqual([{ emoji: '👍', userIds: [ALICE_ID, ME_ID] }]);
    expect(toggleReaction(added, '👍', ME_ID, true)).toEqual(added);
    expect(toggleReaction(added, '👍', ME_ID, false)).toEqual(start);
    expect(toggleReaction(start, '👍', ME_ID, false)).toEqual(start);
    expect(toggleReaction(start, '🎉', ME_ID, true)).toEqual([...start, { emoji: '🎉', userIds: [ME_ID] }]);
    expect(toggleReaction([{ emoji: '🎉', userIds: [ME_ID] }], '🎉', ME_ID, false)).toEqual([]);
  });

  it('chips count, mark the reader’s own, and name who reacted (“You” first, strangers as “someone”)', () => {
    const names = new Map([[ALICE_ID, 'Alice']]);
    const chips = reactionChips(
      [
        { emoji: '👍', userIds: [ALICE_ID, 'c'.repeat(24), ME_ID] },
        { emoji: '🎉', userIds: [ALICE_ID] },
      ],
      ME_ID,
      (id) => names.get(id),
    );
    expect(chips.map(({ emoji, count, mine }) => [emoji, count, mine])).toEqual([
      ['👍', 3, true],
      ['🎉', 1, false],
    ]);
    expect(chips[0]!.who).toMatch(/^You, Alice,? and someone$/);
    expect(chips[1]!.who).toBe('Alice');
  });
});

describe('own changes in flight', () => {
  const original = msg(1, { senderId: ME_ID, text: 'helo' });
  const edit = { kind: 'edit', text: 'hello', id: 'e1', messageId: 'm1' } as const;
  const like = { kind: 'react', emoji: '👍', add: true, id: 'r1', messageId: 'm1' } as const;

  it('an edit and a reaction show at once (optimistic), in order', () => {
    const changes = run({ type: 'start', change: edit }, { type: 'start', change: like });
    const shown = withPendingChanges(original, changes, ME_ID);
    expect(shown.text).toBe('hello');
    expect(shown.reactions).toEqual([{ emoji: '👍', userIds: [ME_ID] }]);
    // Taking it back before the server answered: both requests stay, the view shows none.
    const undone = changesReducer(changes, {
      type: 'start',
      change: { kind: 'react', emoji: '👍', add: false, id: 'r2', messageId: 'm1' },
    });
    expect(withPendingChanges(original, undone, ME_ID).reactions).toEqual([]);
  });

  it('a refused edit rolls back to the confirmed text and keeps its reason; retry re-applies it; dismiss forgets it', () => {
    const failed = run(
      { type: 'start', change: edit },
      { type: 'failed', id: 'e1', error: 'Only the sender may edit.', retryable: false },
    );
    expect(withPendingChanges(original, failed, ME_ID).text).toBe('helo');
    expect(failed[0]).toMatchObject({ status: 'failed', error: 'Only the sender may edit.', retryable: false });
    const retried = changesReducer(failed, { type: 'retry', id: 'e1' });
    expect(withPendingChanges(original, retried, ME_ID).text).toBe('hello');
    expect(changesReducer(failed, { type: 'dismiss', id: 'e1' })).toEqual([]);
  });

  it('a confirmed change leaves the list (the acked message carries it); a deleted message takes no more', () => {
    expect(run({ type: 'start', change: edit }, { type: 'confirmed', id: 'e1' })).toEqual([]);
    const deleted = { ...original, text: '', deletedAt: '2026-01-01T12:05:00.000Z' };
    expect(withPendingChanges(deleted, run({ type: 'start', change: edit }), ME_ID)).toBe(deleted);
  });
});
