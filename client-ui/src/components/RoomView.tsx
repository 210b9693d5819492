import type { PublicUser } from '@chat/contracts';
import { useCallback, useId, useMemo, useState, type ReactNode } from 'react';
import type { CallManager } from '../calls/call-manager.js';
import type { ChatClient, ConnectionStatus, RoomState } from '../chat/chat-client.js';
import { useFileDrop } from '../files/use-file-drop.js';
import { useUploads } from '../files/use-uploads.js';
import { changesByMessage } from '../messages/pending-changes.js';
import { emptyTimeline } from '../messages/timeline.js';
import { seenMessageId, unreadDividerId } from '../rooms/read-markers.js';
import type { ActivitySnapshot, RoomActivity } from '../rooms/room-activity.js';
import type { RoomListEntry } from '../rooms/room-list.js';
import { roomTitle, type RoomEntry } from '../rooms/room-list-store.js';
import { typingLine } from '../rooms/typing.js';
import { Avatar } from './Avatar.js';
import { CallButtons } from './CallButtons.js';
import { Composer } from './Composer.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { ConnectionBadge } from './ConnectionBadge.js';
import { HashIcon, LeaveRoomIcon } from './icons.js';
import { MembersIcon, MembersPanel, PresenceDot } from './MembersPanel.js';
import { MenuButton } from './MenuButton.js';
import { MessageList } from './MessageList.js';
import { TypingLine } from './ReadMarks.js';
import { ReplyPreview } from './ReplyPreview.js';
import { SendLimitBanner } from './SendLimitBanner.js';
import { AttachButton, DropOverlay, UploadTray } from './UploadTray.js';
import { useFoundJump, type FoundJump } from './use-found-jump.js';
import { useMessageActions } from './use-message-actions.js';
import { useOpenedMarker } from './use-opened-marker.js';
import { useReadTracking, useTypingSender } from './use-read-tracking.js';

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
  /** Members, presence, typing and read markers. */
  activity: RoomActivity;
  activityState: ActivitySnapshot;
  /** The room in the room list (its read marker when opened). */
  summary: RoomListEntry | undefined;
  onOpenSidebar: () => void;
  onLeave: () => void;
  /** More buttons for the header (search, notifications). */
  headerTools?: ReactNode;
  /** A search result to bring into view. */
  jumpRequest?: FoundJump | undefined;
}

export function RoomView(props: RoomViewProps) {
  const { room, state, me, status, sendsHeldUntil, client, otherUnread, composerFocusKey, calls } = props;
  const { onOpenSidebar, onLeave, activity, activityState, summary } = props;
  const [confirmingLeave, setConfirmingLeave] = useState(false);
  const [membersOpen, setMembersOpen] = useState(false);
  const membersId = useId();
  const title = roomTitle(room);
  const roomId = room.id;
  const loadOlder = useCallback(() => void client.loadOlder(roomId), [client, roomId]);
  const retry = useCallback((clientMsgId: string) => client.retry(roomId, clientMsgId), [client, roomId]);
  const timeline = state?.timeline ?? emptyTimeline;
  const events = useMessageActions({ client, roomId, me, timeline, changes: state?.changes });
  const { replyingTo, setReplyingTo } = events;
  const uploads = useUploads();
  const drop = useFileDrop(uploads.add);
  const { ready: attachments, clear: clearUploads } = uploads;
  const typing = useTypingSender(activity, roomId, events.composerRef);
  const keepDraft = useCallback(
    (text: string) => {
      client.drafts.set(roomId, text);
      typing.text(text);
    },
    [client, roomId, typing],
  );
  const send = useCallback(
    (text: string) => {
      typing.stop();
      client.send(roomId, text, replyingTo, attachments);
      setReplyingTo(undefined);
      clearUploads();
    },
    [client, roomId, replyingTo, setReplyingTo, typing, attachments, clearUploads],
  );
  useFoundJump(props.jumpRequest, state?.loading === false, events.jumpToFound);
  const onAtBottomChange = useReadTracking(activity, roomId, timeline.messages);
  const opened = useOpenedMarker(summary);
  const dividerBeforeId = useMemo(
    () => unreadDividerId(timeline.messages, me.id, opened),
    [timeline.messages, me.id, opened],
  );
  const peerOnline = room.peer && activityState.presence[roomId]?.[room.peer.id]?.online;
  const peerReadSeq = room.peer ? activityState.readers[roomId]?.[room.peer.id] : undefined;
  const seenId = useMemo(
    () => seenMessageId(timeline.messages, me.id, peerReadSeq),
    [timeline.messages, me.id, peerReadSeq],
  );
  const typingText = typingLine((activityState.typing[roomId] ?? []).map((t) => t.name));
  const toggleMembers = () => {
    if (!membersOpen) void activity.loadMembers(roomId);
    setMembersOpen(!membersOpen);
  };
  const closeMembers = () => {
    setMembersOpen(false);
    document.getElementById(`${membersId}-toggle`)?.focus();
  };
  const changes = useMemo(() => changesByMessage(state?.changes ?? []), [state?.changes]);
  const empty =
    state !== undefined && !state.loading && state.timeline.messages.length === 0 && state.timeline.outbox.length === 0;

  return (
    <main
      className={`room${membersOpen ? ' room--members-open' : ''}${drop.dragging ? ' room--dropping' : ''}`}
      aria-label={title}
      {...drop.props}
    >
      {drop.dragging && <DropOverlay />}
      <header className="room__header">
        <MenuButton unread={otherUnread} onClick={onOpenSidebar} />
        {room.peer ? (
          <span className="avatar-with-dot">
            <Avatar name={room.peer.displayName} seed={room.peer.id} />
            {peerOnline !== undefined && <PresenceDot online={peerOnline} />}
          </span>
        ) : (
          <span className="room__hash" aria-hidden="true">
            <HashIcon />
          </span>
        )}
        <div className="room__titles">
          <h1 className="room__title">{room.peer ? room.peer.displayName : room.id}</h1>
          <p className="room__subtitle">
            {room.peer
              ? `${room.peer.username ? `@${room.peer.username} · ` : ''}${peerOnline ? 'online' : 'direct message'}`
              : 'Public room'}
          </p>
        </div>
        <ConnectionBadge status={status} />
        {props.headerTools}
        {room.peer && <CallButtons calls={calls} peer={room.peer} connected={status === 'connected'} />}
        <button
          type="button"
          id={`${membersId}-toggle`}
          className={`icon-button room__members-toggle${membersOpen ? ' room__members-toggle--open' : ''}`}
          aria-expanded={membersOpen}
          aria-controls={membersOpen ? membersId : undefined}
          aria-label="Members"
          title="Members"
          onClick={toggleMembers}
        >
          <MembersIcon />
        </button>
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
      {membersOpen && (
        <MembersPanel
          id={membersId}
          title={title}
          state={activityState.members[roomId]}
          presence={activityState.presence[roomId]}
          me={me}
          onClose={closeMembers}
          onRetry={() => void activity.loadMembers(roomId)}
        />
      )}
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
            dividerBeforeId={dividerBeforeId}
            seenId={seenId}
            onAtBottomChange={onAtBottomChange}
          />
          <TypingLine text={typingText} />
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
