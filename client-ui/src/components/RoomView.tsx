import type { PublicUser } from '@chat/contracts';
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import type { CallManager } from '../calls/call-manager.js';
import type { ChatClient, ConnectionStatus, RoomState } from '../chat/chat-client.js';
import { changesByMessage } from '../messages/pending-changes.js';
import { useFileDrop } from '../files/use-file-drop.js';
import { useUploads } from '../files/use-uploads.js';
import { emptyTimeline } from '../messages/timeline.js';
import { roomTitle, type RoomEntry } from '../rooms/room-list-store.js';
import { Avatar } from './Avatar.js';
import { CallButtons } from './CallButtons.js';
import { Composer } from './Composer.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { ConnectionBadge } from './ConnectionBadge.js';
import { HashIcon, LeaveRoomIcon } from './icons.js';
import { MenuButton } from './MenuButton.js';
import { MessageList } from './MessageList.js';
import { ReplyPreview } from './ReplyPreview.js';
import { SendLimitBanner } from './SendLimitBanner.js';
import { AttachButton, DropOverlay, UploadTray } from './UploadTray.js';
import { useFoundJump, type FoundJump } from './use-found-jump.js';
import { useMessageActions } from './use-message-actions.js';

interface RoomViewProps {
  room: RoomEntry;
  state: RoomState | undefined;
  me: PublicUser;
  status: ConnectionStatus;
  /** Sends are held by the server's rate limit until then (epoch ms). */
  sendsHeldUntil: number | undefined;
  client: ChatClient;
  /** Unread messages in the other rooms, shown on the phone's menu button. */
  otherUnread: number;
  /** Changes when the composer should take focus (after a join or a keyboard switch). */
  composerFocusKey: number | undefined;
  calls: CallManager;
  onOpenSidebar: () => void;
  onLeave: () => void;
  /** More buttons for the header (search, notifications). */
  headerTools?: ReactNode;
  /** A search result to bring into view. */
  jumpRequest?: FoundJump | undefined;
}

export function RoomView(props: RoomViewProps) {
  const { room, state, me, status, sendsHeldUntil, client, otherUnread, composerFocusKey, calls } = props;
  const { onOpenSidebar, onLeave } = props;
  const [confirmingLeave, setConfirmingLeave] = useState(false);
  const title = roomTitle(room);
  const roomId = room.id;
  const loadOlder = useCallback(() => void client.loadOlder(roomId), [client, roomId]);
  const retry = useCallback((clientMsgId: string) => client.retry(roomId, clientMsgId), [client, roomId]);
  const keepDraft = useCallback((text: string) => client.drafts.set(roomId, text), [client, roomId]);
  const timeline = state?.timeline ?? emptyTimeline;
  const events = useMessageActions({ client, roomId, me, timeline, changes: state?.changes });
  const { replyingTo, setReplyingTo } = events;
  const uploads = useUploads();
  const drop = useFileDrop(uploads.add);
  const { ready: attachments, clear: clearUploads } = uploads;
  const send = useCallback(
    (text: string) => {
      client.send(roomId, text, replyingTo, attachments);
      setReplyingTo(undefined);
      clearUploads();
    },
    [client, roomId, replyingTo, setReplyingTo, attachments, clearUploads],
  );
  useFoundJump(props.jumpRequest, state?.loading === false, events.jumpToFound);
  const changes = useMemo(() => changesByMessage(state?.changes ?? []), [state?.changes]);
  const empty =
    state !== undefined && !state.loading && state.timeline.messages.length === 0 && state.timeline.outbox.length === 0;

  return (
    <main className={`room${drop.dragging ? ' room--dropping' : ''}`} aria-label={title} {...drop.props}>
      {drop.dragging && <DropOverlay />}
      <header className="room__header">
        <MenuButton unread={otherUnread} onClick={onOpenSidebar} />
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
        {props.headerTools}
        {room.peer && <CallButtons calls={calls} peer={room.peer} connected={status === 'connected'} />}
        <button
          type="button"
          className="outline-button room__leave"
          aria-haspopup="dialog"
          title={`Leave ${title}`}
          onClick={() => setConfirmingLeave(true)}
        >
          <LeaveRoomIcon />
          <span className="room__leave-label">Leave room</span>
        </button>
      </header>
      {confirmingLeave && (
        <ConfirmDialog
          title={room.peer ? `Leave your conversation with ${room.peer.displayName}?` : `Leave #${room.id}?`}
          confirmLabel="Leave room"
          onConfirm={onLeave}
          onCancel={() => setConfirmingLeave(false)}
        >
          {room.peer
            ? 'It leaves your list. A new message from them brings it back.'
            : 'It leaves your list and you stop getting its messages. You can join again any time.'}
        </ConfirmDialog>
      )}

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
            timeline={timeline}
            loading={state?.loading ?? true}
            loadingOlder={state?.loadingOlder ?? false}
            meId={me.id}
            onLoadOlder={loadOlder}
            onRetry={retry}
            changes={changes}
            editingId={events.editingId}
            actions={events.actions}
            jump={events.jump}
          />
          <SendLimitBanner until={sendsHeldUntil} />
          {events.jumpError && (
            <div className="banner tone--warn" role="status">
              {events.jumpError}
            </div>
          )}
          {replyingTo && <ReplyPreview replyTo={replyingTo} onCancel={() => setReplyingTo(undefined)} />}
          <Composer
            key={`composer:${roomId}`}
            initialText={client.drafts.get(roomId)}
            onTextChange={keepDraft}
            label={`Message ${title}`}
            placeholder={`Message ${title}`}
            focusKey={composerFocusKey}
            onSend={send}
            onFieldKeyDown={events.onComposerKeyDown}
            inputRef={events.composerRef}
            files={{
              tray: <UploadTray uploads={uploads} />,
              attachButton: <AttachButton uploads={uploads} />,
              ready: (attachments?.length ?? 0) > 0,
              blocked: uploads.blocked,
              onPaste: uploads.add,
            }}
          />
          {events.dialogs}
        </>
      )}
    </main>
  );
}
