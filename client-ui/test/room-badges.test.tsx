import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MembersPanel } from '../src/components/MembersPanel.js';
import { TypingLine } from '../src/components/ReadMarks.js';
import { Sidebar } from '../src/components/Sidebar.js';
import { bareEntry, type RoomListEntry } from '../src/rooms/room-list.js';
import { ME } from './chat-client-harness.js';
import { ALICE_ID, ME_ID, message } from './fixtures.js';

afterEach(cleanup);

const DM = `dm:${ME_ID}:${ALICE_ID}`;
const ALICE = { id: ALICE_ID, username: 'alice', displayName: 'Alice' };

function renderSidebar(entries: RoomListEntry[], online = false) {
  render(
    <Sidebar
      me={ME}
      rooms={entries.map((e) => ({ id: e.id, ...(e.peerId && { peer: ALICE }) }))}
      roomStates={{}}
      summaries={new Map(entries.map((e) => [e.id, e]))}
      presence={{ [DM]: { [ALICE_ID]: { online, displayName: 'Alice' } } }}
      activeRoomId={undefined}
      onSelect={() => undefined}
      onJoinRoom={async () => undefined}
      onStartDirect={async () => undefined}
      onSignOut={() => undefined}
      onOpenSwitcher={() => undefined}
      open={false}
      onClose={() => undefined}
    />,
  );
}
const item = (id: string) => screen.getAllByTestId('room-item').find((el) => el.dataset.roomId === id)!;

describe('room list badges', () => {
  it('shows unread (capped at 99+) and mentions apart, bold while unread, the last message as preview', () => {
    renderSidebar([
      { ...bareEntry('general', ME_ID), unread: 150, mentions: 2, lastMessage: message(9, { text: 'hi @me' }) },
      { ...bareEntry('quiet', ME_ID) },
    ]);
    const general = item('general');
    expect(within(general).getByTestId('unread-badge').textContent).toBe('99+');
    expect(within(general).getByLabelText('150 unread')).toBeTruthy();
    expect(within(general).getByTestId('mention-badge').textContent).toBe('@2');
    expect(general.className).toContain('room-item--unread');
    expect(general.textContent).toContain('Alice: hi @me');
    expect(within(item('quiet')).queryByTestId('unread-badge')).toBeNull();
    expect(item('quiet').className).not.toContain('room-item--unread');
  });

  it('names a direct room after the peer, with an online dot that says so', () => {
    renderSidebar([bareEntry(DM, ME_ID)], true);
    const dm = item(DM);
    expect(dm.textContent).toContain('Alice');
    expect(within(dm).getByTestId('presence-dot').dataset.online).toBe('true');
    expect(dm.textContent).toContain(', online');
  });
});

describe('members panel', () => {
  it('lists members online first with live presence, and Escape closes it', async () => {
    const onClose = vi.fn();
    render(
      <MembersPanel
        id="m"
        title="#general"
        me={ME}
        state={{
          failed: false,
          members: [
            // The list may not know a name (it falls back to the id): the user's own is known here.
            { userId: ME_ID, displayName: ME_ID, online: true, lastReadSeq: 0 },
            { userId: ALICE_ID, displayName: 'Alice', online: false, lastReadSeq: 0 },
            { userId: 'c'.repeat(24), displayName: 'Bea', online: false, lastReadSeq: 0 },
          ],
        }}
        presence={{ [ALICE_ID]: { online: true, displayName: 'Alice' } }}
        onClose={onClose}
        onRetry={() => undefined}
      />,
    );
    const rows = screen
      .getAllByTestId('member')
      .map(
        (el) => `${el.querySelector('.member__name')?.textContent}: ${el.querySelector('.member__state')?.textContent}`,
      );
    expect(rows).toEqual(['Alice: Online', 'Me (you): Online', 'Bea: Offline']);
    expect(screen.getByText('3 · 2 online')).toBeTruthy();
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Close members of #general');
    await userEvent.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalled();
  });
});

describe('typing line', () => {
  it('shows the text, and keeps its place when nobody types', () => {
    const { rerender } = render(<TypingLine text="Ada is typing…" />);
    expect(screen.getByTestId('typing-line').textContent).toBe('Ada is typing…');
    rerender(<TypingLine text={undefined} />);
    expect(screen.getByTestId('typing-line').textContent).toBe('');
  });
});
