import { dmRoomId, PUBLIC_ROOM_PATTERN, usernameSchema } from '@chat/contracts';
import type { PublicUser } from '@chat/contracts';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { findUser } from '../api/auth.js';
import { ApiError } from '../api/http.js';
import { CallManager } from '../calls/call-manager.js';
import { createBrowserSocket } from '../chat/chat-client.js';
import { useChatClient } from '../chat/use-chat-client.js';
import { documentTitle, totalUnread } from '../rooms/room-list.js';
import { MuteStore } from '../notifications/mute-store.js';
import { useNotifications } from '../notifications/use-notifications.js';
import { loadRooms, roomTitle, saveRooms, type RoomEntry } from '../rooms/room-list-store.js';
import { useRoomActivity } from '../rooms/use-room-activity.js';
import type { Session } from '../session/session-store.js';
import { CallView } from './CallView.js';
import { ChatBubbleIcon } from './icons.js';
import { MenuButton } from './MenuButton.js';
import { QuickSwitcher } from './QuickSwitcher.js';
import { neighbourRoom } from './room-order.js';
import { RoomTools } from './RoomTools.js';
import { RoomView } from './RoomView.js';
import { SearchDialog } from './SearchDialog.js';
import { Sidebar } from './Sidebar.js';
import type { SwitcherAction } from './switcher-results.js';
import { useChatShortcuts } from './use-chat-shortcuts.js';
import type { FoundJump } from './use-found-jump.js';

interface ChatScreenProps {
  session: Session;
  onSignOut: () => void;
  onTokenRefused: (token: string) => void;
  onTokenExpiring: () => void;
}

export function ChatScreen({ session, onSignOut, onTokenRefused, onTokenExpiring }: ChatScreenProps) {
  const { token, user: me } = session;
  const [calls] = useState(() => new CallManager(me));
  // Calls, and the room list's live events, ride the chat socket.
  const [client, chat] = useChatClient(session, { onTokenRefused, onTokenExpiring }, (t) =>
    activity.attach(calls.attach(createBrowserSocket(t))),
  );
  useEffect(() => () => calls.close(), [calls]);
  // The list kept from the last visit shows at once; the server's replaces it on connect.
  const [stored] = useState(() => loadRooms(me.id));
  const [activity, act] = useRoomActivity({
    me,
    token,
    initialRooms: stored.rooms,
    onTokenRefused,
    onRoomGone: (roomId) => client.closeRoom(roomId),
  });
  const [activeRoomId, setActiveRoomId] = useState(stored.activeRoomId);
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [switcherOpen, setSwitcherOpen] = useState(false);
  const [composerFocus, setComposerFocus] = useState<{ roomId: string; key: number }>();
  /** Message search: open, with the query it starts from (carried over from the switcher). */
  const [searchOpen, setSearchOpen] = useState<{ query: string }>();
  const [foundJump, setFoundJump] = useState<FoundJump>();
  const [mutes] = useState(() => new MuteStore(me.id));
  const rooms = useMemo(
    () =>
      act.list.rooms.map((r) => ({
        id: r.id,
        ...(r.peerId && { peer: act.users[r.peerId] ?? unknownPeer(r.peerId) }),
      })),
    [act.list.rooms, act.users],
  );
  const summaries = useMemo(() => new Map(act.list.rooms.map((r) => [r.id, r])), [act.list.rooms]);
  const activeRoom = rooms.find((r) => r.id === activeRoomId) ?? rooms[0];
  // The room shown without a choice (the first listed) stays shown when another moves above it.
  useEffect(() => {
    if (activeRoom && activeRoom.id !== activeRoomId) setActiveRoomId(activeRoom.id);
  }, [activeRoom, activeRoomId]);

  useEffect(
    () =>
      saveRooms(me.id, {
        rooms: act.list.rooms.map((r) => ({
          id: r.id,
          ...(r.peerId && act.users[r.peerId] && { peer: act.users[r.peerId] }),
        })),
        ...(activeRoom && { activeRoomId: activeRoom.id }),
      }),
    [me.id, act.list.rooms, act.users, activeRoom],
  );

  // Only the room on screen is loaded and joined; every other member room's messages still
  // reach the list (the server subscribes all of them on connect).
  useEffect(() => {
    if (activeRoom) void client.openRoom(activeRoom.id);
  }, [client, activeRoom?.id]);

  useEffect(() => client.setActiveRoom(activeRoom?.id), [client, activeRoom?.id]);

  const unread = totalUnread(act.list);
  const otherUnread = unread - (activeRoom ? (summaries.get(activeRoom.id)?.unread ?? 0) : 0);
  useEffect(() => {
    document.title = documentTitle(unread);
  }, [unread]);

  /**
   * After a join or a switch the room's composer takes focus, so typing can start at once —
   * except on touch screens, where a focused field pops a keyboard up over the conversation.
   */
  const requestComposerFocus = useCallback((roomId: string) => {
    if (window.matchMedia?.('(pointer: coarse)').matches) return;
    setComposerFocus((prev) => ({ roomId, key: (prev?.key ?? 0) + 1 }));
  }, []);

  const select = useCallback(
    (roomId: string) => {
      setActiveRoomId(roomId);
      setSidebarOpen(false);
      requestComposerFocus(roomId);
    },
    [requestComposerFocus],
  );

  const addRoom = useCallback(
    (entry: RoomEntry) => {
      activity.join(entry.id, entry.peer);
      setActiveRoomId(entry.id);
      setSidebarOpen(false);
      requestComposerFocus(entry.id);
    },
    [activity, requestComposerFocus],
  );

  useChatShortcuts({
    onStepRoom: (step) => {
      const next = neighbourRoom(rooms, activeRoom?.id, step);
      if (next) select(next.id);
    },
    onOpenSwitcher: () => setSwitcherOpen(true),
    onOpenSearch: () => setSearchOpen({ query: '' }),
  });

  const titleOf = useCallback(
    (roomId: string) => {
      const room = rooms.find((r) => r.id === roomId);
      return room ? roomTitle(room) : PUBLIC_ROOM_PATTERN.test(roomId) ? `#${roomId}` : 'Direct message';
    },
    [rooms],
  );

  /** A room from a search result or a notification: selected, or added when it is a public one not listed. */
  const showRoom = (roomId: string) => {
    if (rooms.some((r) => r.id === roomId)) select(roomId);
    else if (PUBLIC_ROOM_PATTERN.test(roomId)) addRoom({ id: roomId });
  };

  // A search result is jumped to once: leaving its room drops it, so coming back does not jump again.
  useEffect(() => {
    if (foundJump && foundJump.message.roomId !== activeRoom?.id) setFoundJump(undefined);
  }, [foundJump, activeRoom?.id]);

  const notifications = useNotifications({ client, me, mutes, roomTitle: titleOf, onOpenRoom: showRoom });

  const unreadOf = useCallback((roomId: string) => summaries.get(roomId)?.unread ?? 0, [summaries]);

  const joinRoom = async (input: string): Promise<string | undefined> => {
    const name = input.replace(/^#/, '').trim().toLowerCase();
    if (!PUBLIC_ROOM_PATTERN.test(name)) {
      return 'Room names are up to 64 of a-z, 0-9, _ and -, starting with a letter or digit.';
    }
    addRoom({ id: name });
    return undefined;
  };

  const startDirect = async (input: string): Promise<string | undefined> => {
    const username = usernameSchema.safeParse(input.replace(/^@/, ''));
    if (!username.success) return 'Usernames are 3–32 of a-z, 0-9, _ . and -.';
    if (username.data === me.username) return 'That’s you! Pick someone else.';
    try {
      const peer = await findUser(token, username.data);
      addRoom({ id: dmRoomId(me.id, peer.id), peer });
      return undefined;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') onTokenRefused(token);
      if (err instanceof ApiError && err.code === 'NOT_FOUND') return `No one is called @${username.data}.`;
      return err instanceof ApiError ? err.message : 'Something went wrong. Try again.';
    }
  };

  const leave = (roomId: string) => {
    activity.leave(roomId);
    client.closeRoom(roomId);
    const next = rooms.find((r) => r.id !== roomId);
    setActiveRoomId(next?.id);
    if (next) requestComposerFocus(next.id);
  };

  const onSwitcherAction = (action: SwitcherAction) => {
    setSwitcherOpen(false);
    if (action.kind === 'open') select(action.roomId);
    else if (action.kind === 'search') setSearchOpen({ query: action.query });
    else void joinRoom(action.name);
  };

  return (
    <div className={`app${sidebarOpen ? ' app--sidebar-open' : ''}`}>
      <Sidebar
        me={me}
        rooms={rooms}
        roomStates={chat.rooms}
        summaries={summaries}
        presence={act.presence}
        activeRoomId={activeRoom?.id}
        onSelect={select}
        onJoinRoom={joinRoom}
        onStartDirect={startDirect}
        onSignOut={onSignOut}
        onOpenSwitcher={() => setSwitcherOpen(true)}
        open={sidebarOpen}
        onClose={() => setSidebarOpen(false)}
      />
      <div className="app__scrim" aria-hidden="true" onClick={() => setSidebarOpen(false)} />
      {activeRoom ? (
        <RoomView
          key={activeRoom.id}
          room={activeRoom}
          state={chat.rooms[activeRoom.id]}
          me={me}
          status={chat.status}
          sendsHeldUntil={chat.sendsHeldUntil}
          client={client}
          otherUnread={otherUnread}
          composerFocusKey={composerFocus?.roomId === activeRoom.id ? composerFocus.key : undefined}
          calls={calls}
          activity={activity}
          activityState={act}
          summary={summaries.get(activeRoom.id)}
          onOpenSidebar={() => setSidebarOpen(true)}
          onLeave={() => leave(activeRoom.id)}
          jumpRequest={foundJump?.message.roomId === activeRoom.id ? foundJump : undefined}
          headerTools={
            <RoomTools
              roomTitle={roomTitle(activeRoom)}
              muted={notifications.muted.has(activeRoom.id)}
              permission={notifications.permission}
              onOpenSearch={() => setSearchOpen({ query: '' })}
              onMutedChange={(muted) => mutes.setMuted(activeRoom.id, muted)}
              onEnableNotifications={notifications.requestPermission}
            />
          }
        />
      ) : (
        <main className="room room--empty">
          <header className="room__header room__header--bare">
            <MenuButton unread={unread} onClick={() => setSidebarOpen(true)} />
          </header>
          <div className="welcome">
            <span className="welcome__mark" aria-hidden="true">
              <ChatBubbleIcon />
            </span>
            <h1>Welcome, {me.displayName}</h1>
            <p>Join a room or start a direct conversation from the sidebar.</p>
          </div>
        </main>
      )}
      {switcherOpen && (
        <QuickSwitcher
          rooms={rooms}
          unreadOf={unreadOf}
          onAction={onSwitcherAction}
          onClose={() => setSwitcherOpen(false)}
        />
      )}
      {searchOpen && (
        <SearchDialog
          roomTitle={titleOf}
          initialQuery={searchOpen.query}
          onClose={() => setSearchOpen(undefined)}
          onPick={(message) => {
            setSearchOpen(undefined);
            showRoom(message.roomId);
            setFoundJump({ message, key: Date.now() });
          }}
        />
      )}
      <div className="sr-only" aria-live="polite" aria-atomic="true">
        {chat.announcement?.text}
      </div>
      <CallView calls={calls} />
    </div>
  );
}

/** A direct room's peer until their profile arrives (`GET /auth/users?ids=`). */
function unknownPeer(id: string): PublicUser {
  return { id, username: '', displayName: 'Direct message' };
}
