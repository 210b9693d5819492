import { dmRoomId, PUBLIC_ROOM_PATTERN, usernameSchema } from '@chat/contracts';
import { useCallback, useEffect, useState } from 'react';
import { findUser } from '../api/auth.js';
import { fetchHistory } from '../api/history.js';
import { ApiError } from '../api/http.js';
import { CallManager } from '../calls/call-manager.js';
import { ChatClient, createBrowserSocket } from '../chat/chat-client.js';
import { loadRooms, saveRooms, type RoomEntry, type StoredRooms } from '../rooms/room-list-store.js';
import type { Session } from '../session/session-store.js';
import { CallView } from './CallView.js';
import { ChatBubbleIcon, MenuIcon } from './icons.js';
import { RoomView } from './RoomView.js';
import { Sidebar } from './Sidebar.js';

interface ChatScreenProps {
  session: Session;
  onSignOut: () => void;
}

export function ChatScreen({ session, onSignOut }: ChatScreenProps) {
  const { token, user: me } = session;
  const [calls] = useState(() => new CallManager(me));
  const [client] = useState(
    () =>
      new ChatClient({
        token,
        me,
        history: (roomId, cursor, limit) => fetchHistory(token, roomId, cursor, limit),
        onUnauthorized: onSignOut,
        // Calls signal over the chat socket.
        createSocket: (t) => calls.attach(createBrowserSocket(t)),
      }),
  );
  useEffect(() => () => calls.close(), [calls]);
  // Plain state rather than useSyncExternalStore: its updates render synchronously one by
  // one, while these batch, so a burst of messages (a busy room, a resync) renders once.
  const [chat, setChat] = useState(client.getSnapshot);
  useEffect(() => {
    setChat(client.getSnapshot());
    return client.subscribe(() => setChat(client.getSnapshot()));
  }, [client]);
  const [stored, setStored] = useState<StoredRooms>(() => loadRooms(me.id));
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const { rooms, activeRoomId } = stored;
  const activeRoom = rooms.find((r) => r.id === activeRoomId) ?? rooms[0];

  useEffect(() => {
    client.start();
    return () => client.stop();
  }, [client]);

  useEffect(() => saveRooms(me.id, stored), [me.id, stored]);

  useEffect(() => {
    for (const room of rooms) void client.openRoom(room.id);
  }, [client, rooms]);

  useEffect(() => client.setActiveRoom(activeRoom?.id), [client, activeRoom?.id]);

  const unread = Object.values(chat.rooms).reduce((n, r) => n + r.unread, 0);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Chat` : 'Chat';
  }, [unread]);

  const select = useCallback((roomId: string) => {
    setStored((s) => ({ ...s, activeRoomId: roomId }));
    setSidebarOpen(false);
  }, []);

  const addRoom = useCallback((entry: RoomEntry) => {
    setStored((s) => ({
      rooms: s.rooms.some((r) => r.id === entry.id) ? s.rooms : [...s.rooms, entry],
      activeRoomId: entry.id,
    }));
    setSidebarOpen(false);
  }, []);

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
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') onSignOut();
      if (err instanceof ApiError && err.code === 'NOT_FOUND') return `No one is called @${username.data}.`;
      return err instanceof ApiError ? err.message : 'Something went wrong. Try again.';
    }
  };

  const leave = (roomId: string) => {
    client.closeRoom(roomId);
    setStored((s) => {
      const rest = s.rooms.filter((r) => r.id !== roomId);
      return { rooms: rest, activeRoomId: rest[0]?.id };
    });
  };

  return (
    <div className={`app${sidebarOpen ? ' app--sidebar-open' : ''}`}>
      <Sidebar
        me={me}
        rooms={rooms}
        roomStates={chat.rooms}
        activeRoomId={activeRoom?.id}
        onSelect={select}
        onJoinRoom={joinRoom}
        onStartDirect={startDirect}
        onSignOut={onSignOut}
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
          client={client}
          calls={calls}
          onOpenSidebar={() => setSidebarOpen(true)}
          onLeave={() => leave(activeRoom.id)}
        />
      ) : (
        <main className="room room--empty">
          <header className="room__header room__header--bare">
            <button
              type="button"
              className="icon-button room__menu"
              aria-label="Open conversations"
              onClick={() => setSidebarOpen(true)}
            >
              <MenuIcon />
            </button>
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
      <div className="sr-only" aria-live="polite" aria-atomic="true">
        {chat.announcement?.text}
      </div>
      <CallView calls={calls} />
    </div>
  );
}
