import type { Message, PublicUser } from '@chat/contracts';
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallManager } from '../src/calls/call-manager.js';
import { ChatClient, type ChatClientDeps, type ChatSocket } from '../src/chat/chat-client.js';
import { RoomView } from '../src/components/RoomView.js';
import { RoomActivity } from '../src/rooms/room-activity.js';
import { ALICE_ID, ME_ID, message as msg } from './fixtures.js';

const ME: PublicUser = { id: ME_ID, username: 'me', displayName: 'Me' };
const mine = (seq: number, text: string, over: Partial<Message> = {}) =>
  msg(seq, { senderId: ME_ID, senderName: 'Me', text, ...over });

/** A connected socket that records what the room emits and lets the test answer or push events. */
function connectedSocket() {
  const emits: {
    event: string;
    payload: Record<string, unknown>;
    answer: (ack: unknown) => void;
    fail: (err: Error) => void;
  }[] = [];
  const handlers = new Map<string, (raw: unknown) => void>();
  const socket = {
    connected: true,
    active: true,
    io: { on: () => socket.io, removeAllListeners: () => socket.io },
    on: (event: string, handler: (raw: unknown) => void) => (handlers.set(event, handler), socket),
    removeAllListeners: () => socket,
    connect: () => socket,
    disconnect: () => socket,
    emit: () => socket,
    timeout: () => ({
      emitWithAck: (event: string, payload: Record<string, unknown>) =>
        new Promise((answer, fail) => emits.push({ event, payload, answer, fail })),
    }),
  };
  const take = (event: string) => {
    const i = emits.findIndex((e) => e.event === event);
    if (i < 0) throw new Error(`no ${event} emitted; have ${emits.map((e) => e.event).join(', ')}`);
    return emits.splice(i, 1)[0]!;
  };
  const push = (event: string, raw: unknown) => act(() => handlers.get(event)?.(raw));
  return { socket, take, push };
}

/** Members, typing and read markers are not this file's subject: an activity whose server has nothing. */
const quietActivity = () =>
  new RoomActivity({
    me: ME,
    token: () => 't',
    fetchRooms: async () => [],
    fetchMembers: async () => [],
    fetchUsers: async () => [],
    onUnauthorized: () => undefined,
    onRoomGone: () => undefined,
  });

function Room({ client }: { client: ChatClient }) {
  const [snapshot, setSnapshot] = useState(client.getSnapshot);
  const [activity] = useState(quietActivity);
  useEffect(() => client.subscribe(() => setSnapshot(client.getSnapshot())), [client]);
  return (
    <RoomView
      room={{ id: 'general' }}
      state={snapshot.rooms.general}
      me={ME}
      status="connected"
      sendsHeldUntil={undefined}
      client={client}
      otherUnread={0}
      composerFocusKey={undefined}
      calls={new CallManager(ME)}
      activity={activity}
      activityState={activity.getSnapshot()}
      summary={undefined}
      onOpenSidebar={() => undefined}
      onLeave={() => undefined}
    />
  );
}

const clients: ChatClient[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  cleanup();
  clients.splice(0).forEach((c) => c.stop());
});

type History = ChatClientDeps['history'];

/** #general open with `history` (one page, or a pager), joined, rendered. */
async function openRoom(history: Message[] | History) {
  const fake = connectedSocket();
  let n = 0;
  const client = new ChatClient({
    token: 't',
    me: ME,
    history: Array.isArray(history) ? async () => ({ messages: history, hasMore: false }) : history,
    onUnauthorized: () => undefined,
    createSocket: () => fake.socket as unknown as ChatSocket,
    newClientMsgId: () => `c-${++n}`,
    isOnline: () => true,
  });
  clients.push(client);
  client.start();
  render(<Room client={client} />);
  await act(() => client.openRoom('general'));
  fake.take('joinRoom').answer({ ok: true, room: { id: 'general', lastSeq: 9 }, missed: [], hasMore: false });
  return { ...fake, user: userEvent.setup() };
}

const row = (id: string) => document.querySelector<HTMLElement>(`[data-message-id="${id}"]`)!;
const textOf = (id: string) => within(row(id)).getByTestId('message-text').textContent;
const composer = () => screen.getByRole('textbox', { name: 'Message #general' });

describe('message actions in a room', () => {
  it('Up-arrow in an empty composer edits the last own message in place; Enter saves at once, the ack confirms it', async () => {
    const { take, user } = await openRoom([mine(1, 'first'), mine(2, 'typo heer'), msg(3)]);
    await user.click(composer());
    await user.type(composer(), 'draft{ArrowUp}');
    expect(screen.queryByRole('textbox', { name: 'Edit message' })).toBeNull();
    await user.clear(composer());
    await user.keyboard('{ArrowUp}');
    const editor = screen.getByRole('textbox', { name: 'Edit message' });
    expect(editor).toHaveProperty('value', 'typo heer');
    expect(document.activeElement).toBe(editor);

    await user.clear(editor);
    await user.type(editor, 'typo here{Shift>}{Enter}{/Shift}second line{Enter}');
    const edit = take('editMessage');
    expect(edit.payload).toEqual({
      roomId: 'general',
      messageId: 'm2',
      text: 'typo here\nsecond line',
      clientMsgId: 'c-1',
    });
    expect(textOf('m2')).toBe('typo here\nsecond line');
    expect(within(row('m2')).getByRole('status').textContent).toContain('Saving…');
    expect(document.activeElement).toBe(composer());

    const editedAt = '2026-01-01T12:10:00.000Z';
    await act(async () =>
      edit.answer({ ok: true, message: mine(2, 'typo here\nsecond line', { version: 10, editedAt }) }),
    );
    expect(within(row('m2')).queryByRole('status')).toBeNull();
    expect(row('m2').querySelector('.msg__edited')?.getAttribute('datetime')).toBe(editedAt);
    expect(row('m2').querySelector('.msg__edited .msg__time-full')?.textContent).toMatch(/^Edited /);
  });

  it('Escape cancels an edit; a refused edit rolls back and says why (no Retry for a refusal)', async () => {
    const { take, user } = await openRoom([mine(1, 'original')]);
    await user.click(within(row('m1')).getByRole('button', { name: 'Edit' }));
    await user.type(screen.getByRole('textbox', { name: 'Edit message' }), ' changed{Escape}');
    expect(textOf('m1')).toBe('original');

    await user.click(within(row('m1')).getByRole('button', { name: 'Edit' }));
    await user.type(screen.getByRole('textbox', { name: 'Edit message' }), ' changed{Enter}');
    expect(textOf('m1')).toBe('original changed');
    await act(async () =>
      take('editMessage').answer({ ok: false, error: { code: 'FORBIDDEN', message: 'Only the sender may edit.' } }),
    );
    expect(textOf('m1')).toBe('original');
    const alert = within(row('m1')).getByRole('alert');
    expect(alert.textContent).toContain('Edit not saved: Only the sender may edit.');
    expect(within(alert).queryByRole('button', { name: 'Retry' })).toBeNull();
    await user.click(within(alert).getByRole('button', { name: 'Dismiss' }));
    expect(within(row('m1')).queryByRole('alert')).toBeNull();
  });

  it('reaction chips toggle the reader’s own; the picker works by keyboard; updates apply only when newer', async () => {
    const { take, push, user } = await openRoom([msg(3, { reactions: [{ emoji: '👍', userIds: [ALICE_ID] }] })]);
    const chip = () => within(row('m3')).getByTestId('reaction');
    expect(chip().getAttribute('aria-label')).toBe('👍 1: Alice. React with it too');
    expect(chip().getAttribute('aria-pressed')).toBe('false');

    await user.click(chip());
    expect(take('react').payload).toEqual({
      roomId: 'general',
      messageId: 'm3',
      emoji: '👍',
      add: true,
      clientMsgId: 'c-1',
    });
    expect(chip().getAttribute('aria-pressed')).toBe('true');
    expect(chip().textContent).toBe('👍2');
    expect(chip().className).toContain('reaction--pending');

    // Someone else's change, newer: applied; then a stale copy: ignored.
    await push(
      'messageUpdated',
      msg(3, {
        version: 12,
        reactions: [
          { emoji: '👍', userIds: [ALICE_ID] },
          { emoji: '🎉', userIds: [ALICE_ID] },
        ],
      }),
    );
    expect(
      within(row('m3'))
        .getAllByTestId('reaction')
        .map((c) => c.textContent),
    ).toEqual(['👍2', '🎉1']);
    await push('messageUpdated', msg(3, { version: 11, reactions: [] }));
    expect(within(row('m3')).getAllByTestId('reaction')).toHaveLength(2);

    // The toolbar's picker: focus starts on the first emoji, arrows move, Enter picks.
    await user.click(within(row('m3')).getByRole('button', { name: 'Add reaction' }));
    const menu = within(row('m3')).getByRole('menu', { name: 'Add a reaction' });
    expect(document.activeElement?.getAttribute('aria-label')).toBe('thumbs up');
    await user.keyboard('{ArrowRight}{ArrowRight}{ArrowRight}{Enter}');
    expect(take('react').payload).toMatchObject({ emoji: '🎉', add: true });
    expect(menu.isConnected).toBe(false);
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Add reaction');
  });

  it('a reaction with no answer rolls back and offers Retry, which resends it under the same clientMsgId', async () => {
    const { take, user } = await openRoom([msg(3)]);
    await user.click(within(row('m3')).getByRole('button', { name: 'Add reaction' }));
    await user.click(screen.getByRole('menuitemcheckbox', { name: 'eyes' }));
    const first = take('react');
    expect(within(row('m3')).getByTestId('reaction').textContent).toBe('👀1');
    await act(async () => first.fail(new Error('operation has timed out')));
    expect(within(row('m3')).queryByTestId('reaction')).toBeNull();
    const alert = within(row('m3')).getByRole('alert');
    expect(alert.textContent).toContain('Reaction 👀 not saved: No answer from the server.');

    await user.click(within(alert).getByRole('button', { name: 'Retry' }));
    const again = take('react');
    expect(again.payload).toEqual(first.payload);
    expect(within(row('m3')).getByTestId('reaction').textContent).toBe('👀1');
    await act(async () =>
      again.answer({ ok: true, message: msg(3, { version: 10, reactions: [{ emoji: '👀', userIds: [ME_ID] }] }) }),
    );
    expect(within(row('m3')).queryByRole('alert')).toBeNull();
    expect(within(row('m3')).getByTestId('reaction').getAttribute('aria-pressed')).toBe('true');
  });

  it('delete asks first, then the placeholder keeps the message’s place; the toolbar is one Tab stop with arrow keys', async () => {
    const { take, user } = await openRoom([mine(1, 'keep'), mine(2, 'regret this'), msg(3)]);
    const toolbar = within(row('m2')).getByRole('toolbar', { name: 'Message actions' });
    const tabbable = within(toolbar)
      .getAllByRole('button')
      .filter((b) => b.tabIndex === 0);
    expect(tabbable.map((b) => b.getAttribute('aria-label'))).toEqual(['Add reaction']);
    tabbable[0]!.focus();
    await user.keyboard('{End}');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Delete');
    await user.keyboard('{Enter}');
    const dialog = screen.getByRole('dialog', { name: 'Delete this message?' });
    expect(dialog.textContent).toContain('regret this');
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(take('deleteMessage').payload).toEqual({ roomId: 'general', messageId: 'm2', clientMsgId: 'c-1' });
    expect(textOf('m2')).toBe('Message deleted');
    expect(screen.getAllByTestId('message').map((li) => li.dataset.messageId)).toEqual(['m1', 'm2', 'm3']);
    expect(within(row('m2')).queryByRole('toolbar')).toBeNull();
  });

  it('reply: the quote sits above the composer (× cancels), the sent reply carries replyToId and shows the quote', async () => {
    const { take, user } = await openRoom([msg(3, { text: 'Lunch at noon?' })]);
    await user.click(within(row('m3')).getByRole('button', { name: 'Reply' }));
    expect(screen.getByTestId('reply-preview').textContent).toBe('Replying to AliceLunch at noon?');
    expect(document.activeElement).toBe(composer());
    await user.click(screen.getByRole('button', { name: 'Cancel reply' }));
    expect(screen.queryByTestId('reply-preview')).toBeNull();

    await user.click(within(row('m3')).getByRole('button', { name: 'Reply' }));
    await user.type(composer(), 'Sure!{Enter}');
    expect(take('sendMessage').payload).toEqual({
      roomId: 'general',
      clientMsgId: 'c-1',
      text: 'Sure!',
      replyToId: 'm3',
    });
    expect(screen.queryByTestId('reply-preview')).toBeNull();
    const pending = screen.getAllByTestId('message').at(-1)!;
    expect(within(pending).getByTestId('reply-quote').textContent).toBe('In reply to Alice: Lunch at noon?');
  });

  it('a quote whose original is not loaded pages history back to it, then scrolls to it and highlights it', async () => {
    // 100 messages, pages of 10: the reply (seq 100) quotes seq 5, nine pages back.
    const all = Array.from({ length: 100 }, (_, i) =>
      i === 99 ? msg(100, { replyTo: { id: 'm5', seq: 5, senderName: 'Alice', excerpt: 'message 5' } }) : msg(i + 1),
    );
    // A tall list, so it does not page back by itself to fill the view.
    vi.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockReturnValue(10_000);
    const scrolled = vi.spyOn(Element.prototype, 'scrollIntoView').mockImplementation(() => undefined);
    const pages: unknown[] = [];
    const { user } = await openRoom(async (_room, cursor) => {
      pages.push(cursor);
      const before = 'before' in cursor ? cursor.before : 101;
      const messages = all.filter((m) => m.seq < before).slice(-10);
      return { messages, hasMore: messages[0]!.seq > 1 };
    });
    expect(row('m5')).toBeNull();
    expect(pages).toEqual([{}]);
    await user.click(within(row('m100')).getByTestId('reply-quote'));
    await waitFor(() => expect(row('m5')?.className).toContain('msg--highlighted'));
    expect(scrolled.mock.contexts).toEqual([row('m5')]);
    expect(document.activeElement).toBe(row('m5'));
    expect(pages.at(-1)).toEqual({ before: 11 });
  });
});
