import type { PublicUser } from '@chat/contracts';
import { useCallback } from 'react';
import type { CallManager } from '../calls/call-manager.js';
import type { ChatClient, ConnectionStatus, RoomState } from '../chat/chat-client.js';
import { emptyTimeline } from '../messages/timeline.js';
import { roomTitle, type RoomEntry } from '../rooms/room-list-store.js';
import { Avatar } from './Avatar.js';
import { CallButtons } from './CallButtons.js';
import { Composer } from './Composer.js';
import { ConnectionBadge } from './ConnectionBadge.js';
import { HashIcon, LeaveIcon, MenuIcon } from './icons.js';
import { MessageList } from './MessageList.js';

interface RoomViewProps {
  room: RoomEntry;
  state: RoomState | undefined;
  me: PublicUser;
  status: ConnectionStatus;
  client: ChatClient;
  calls: CallManager;
  onOpenSidebar: () => void;
  onLeave: () => void;
}

export function RoomView({ room, state, me, status, client, calls, onOpenSidebar, onLeave }: RoomViewProps) {
  const title = roomTitle(room);
  const roomId = room.id;
  const loadOlder = useCallback(() => void client.loadOlder(roomId), [client, roomId]);
  const retry = useCallback((clientMsgId: string) => client.retry(roomId, clientMsgId), [client, roomId]);
  const send = useCallback((text: string) => client.send(roomId, text), [client, roomId]);
  const empty = state !== undefined && !state.loading && state.timeline.messages.length === 0;

  return (
    <main className="room" aria-label={title}>
      <header className="room__header">
        <button
          type="button"
          className="icon-button room__menu"
          aria-label="Open conversations"
          onClick={onOpenSidebar}
        >
          <MenuIcon />
        </button>
        {room.peer ? (
          <Avatar name={room.peer.displayName} seed={room.peer.id} />
        ) : (
          <span className="room__hash" aria-hidden="true">
            <HashIcon />
          </span>
        )}
        <div className="room__titles">
          <h1 className="room__title">{room.peer ? room.peer.displayName : room.id}</h1>
          <p className="room__subtitle">{room.peer ? `@${room.peer.username} · direct message` : 'Public room'}</p>
        </div>
        <ConnectionBadge status={status} />
        {room.peer && <CallButtons calls={calls} peer={room.peer} connected={status === 'connected'} />}
        <button type="button" className="icon-button" aria-label={`Leave ${title}`} title="Leave" onClick={onLeave}>
          <LeaveIcon />
        </button>
      </header>

      {status !== 'connected' && (
        <div className="banner tone--warn" role="status">
          {status === 'offline'
            ? 'You are offline. Messages will send when the connection is back.'
            : 'Connecting to the chat server… messages will send as soon as it answers.'}
        </div>
      )}

      {state?.fatalError ? (
        <div className="room__error" role="alert">
          <p>{state.fatalError}</p>
          <button type="button" className="button button--secondary" onClick={() => void client.reloadRoom(roomId)}>
            Try again
          </button>
        </div>
      ) : (
        <>
          {state?.historyFailed && (
            <div className="banner tone--danger" role="alert">
              Earlier messages could not be loaded.{' '}
              <button type="button" className="link-button" onClick={() => void client.reloadRoom(roomId)}>
                Retry
              </button>
            </div>
          )}
          <MessageList
            key={roomId}
            label={`Messages in ${title}`}
            beginning={
              empty
                ? room.peer
                  ? `This is the start of your conversation with ${room.peer.displayName}. Say hello!`
                  : `Welcome to #${room.id}! No messages yet — start the conversation.`
                : room.peer
                  ? `This is the beginning of your conversation with ${room.peer.displayName}.`
                  : `This is the beginning of #${room.id}.`
            }
            timeline={state?.timeline ?? emptyTimeline}
            loading={state?.loading ?? true}
            loadingOlder={state?.loadingOlder ?? false}
            meId={me.id}
            onLoadOlder={loadOlder}
            onRetry={retry}
          />
          <Composer
            key={`composer:${roomId}`}
            label={`Message ${title}`}
            placeholder={`Message ${title}`}
            onSend={send}
          />
        </>
      )}
    </main>
  );
}
