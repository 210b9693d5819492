import type { Message, PublicUser, ReplyTo } from '@chat/contracts';
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { ChatClient } from '../chat/chat-client.js';
import { canChange, lastEditable } from '../messages/own-messages.js';
import { withPendingChanges, type PendingChange } from '../messages/pending-changes.js';
import { replyToOf } from '../messages/reply.js';
import type { Timeline } from '../messages/timeline.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { MessageActionSheet } from './MessageActionSheet.js';
import type { MessageActionHandlers } from './MessageActions.js';

interface Options {
  client: ChatClient;
  roomId: string;
  me: PublicUser;
  timeline: Timeline;
  changes: readonly PendingChange[] | undefined;
}

/** How long "could not find the original" stays up. */
const JUMP_ERROR_MS = 6_000;

const rowOf = (messageId: string) =>
  document.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(messageId)}"]`);

/**
 * A room's message actions and the state they need: which message is edited in place, the
 * delete confirmation, the phone's action sheet, the reply being written, and jumps to a
 * reply's original. Rows get one stable `actions` object; the composer gets its key handler.
 */
export function useMessageActions({ client, roomId, me, timeline, changes }: Options) {
  const [editingId, setEditingId] = useState<string>();
  const [deleting, setDeleting] = useState<Message>();
  const [sheetFor, setSheetFor] = useState<string>();
  const [replyingTo, setReplyingTo] = useState<ReplyTo>();
  const [jump, setJump] = useState<{ id: string; key: number }>();
  const [jumpError, setJumpError] = useState<string>();
  const composerRef = useRef<HTMLTextAreaElement>(null);
  /** Where focus was when editing started (the composer, the toolbar): it goes back there after. */
  const editStartedFrom = useRef<{ id: string; element: Element | null }>(undefined);
  const messages = useRef(timeline.messages);
  messages.current = timeline.messages;

  const startEdit = useCallback((message: Message) => {
    editStartedFrom.current = { id: message.id, element: document.activeElement };
    setEditingId(message.id);
  }, []);

  // Editing ended: focus goes back where it was, or to the row's toolbar when that is gone.
  useEffect(() => {
    const started = editStartedFrom.current;
    if (editingId !== undefined || !started) return;
    editStartedFrom.current = undefined;
    const row = rowOf(started.id);
    const back =
      started.element instanceof HTMLElement && started.element.isConnected
        ? started.element
        : (row?.querySelector<HTMLElement>('.msg__action[tabindex="0"]') ?? row);
    back?.focus();
  }, [editingId]);

  /** `far`: a search result, possibly far back (paged in big pages); otherwise a reply's original. */
  const jumpTo = useCallback(
    async (target: Pick<ReplyTo, 'id' | 'seq' | 'senderName'>, far = false) => {
      setJumpError(undefined);
      const reached = await (far ? client.loadBackToFar(roomId, target.seq) : client.loadBackTo(roomId, target.seq));
      const held = client.getSnapshot().rooms[roomId]?.timeline.messages.some((m) => m.id === target.id);
      if (reached && held) setJump({ id: target.id, key: Date.now() });
      else setJumpError(`The message from ${target.senderName} could not be found.`);
    },
    [client, roomId],
  );

  useEffect(() => {
    if (!jumpError) return;
    const timer = setTimeout(() => setJumpError(undefined), JUMP_ERROR_MS);
    return () => clearTimeout(timer);
  }, [jumpError]);

  const actions = useMemo<MessageActionHandlers>(
    () => ({
      react: (messageId, emoji, add) => client.change(roomId, messageId, { kind: 'react', emoji, add }),
      reply: (message) => {
        setReplyingTo(replyToOf(message));
        composerRef.current?.focus();
      },
      startEdit,
      saveEdit: (message, text) => {
        client.change(roomId, message.id, { kind: 'edit', text });
        setEditingId(undefined);
      },
      cancelEdit: () => setEditingId(undefined),
      confirmDelete: setDeleting,
      openSheet: (message) => setSheetFor(message.id),
      jumpTo: (target) => void jumpTo(target),
      retryChange: (id) => client.retryChange(roomId, id),
      dismissChange: (id) => client.dismissChange(roomId, id),
    }),
    [client, roomId, startEdit, jumpTo],
  );

  /** Up-arrow in an empty composer edits the last own message; Escape drops the reply being written. */
  const onComposerKeyDown = useCallback(
    (e: KeyboardEvent<HTMLTextAreaElement>, text: string) => {
      const plain = !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey;
      if (e.key === 'ArrowUp' && plain && text === '') {
        const last = lastEditable(messages.current, me.id);
        if (!last) return;
        e.preventDefault();
        startEdit(last);
      } else if (e.key === 'Escape' && replyingTo) {
        e.preventDefault();
        setReplyingTo(undefined);
      }
    },
    [me.id, replyingTo, startEdit],
  );

  const sheetMessage = useMemo(() => {
    const held = sheetFor === undefined ? undefined : timeline.messages.find((m) => m.id === sheetFor);
    return held && withPendingChanges(held, changes?.filter((c) => c.messageId === held.id) ?? [], me.id);
  }, [sheetFor, timeline.messages, changes, me.id]);

  const dialogs = (
    <>
      {deleting && (
        <ConfirmDialog
          title="Delete this message?"
          confirmLabel="Delete"
          onConfirm={() => {
            client.change(roomId, deleting.id, { kind: 'delete' });
            setDeleting(undefined);
          }}
          onCancel={() => setDeleting(undefined)}
        >
          <blockquote className="dialog__quote">{replyToOf(deleting).excerpt}</blockquote>
          It is removed for everyone in the room; “Message deleted” stays in its place.
        </ConfirmDialog>
      )}
      {sheetMessage && !sheetMessage.deletedAt && (
        <MessageActionSheet
          message={sheetMessage}
          editable={canChange(sheetMessage, me.id)}
          mine={new Set((sheetMessage.reactions ?? []).filter((r) => r.userIds.includes(me.id)).map((r) => r.emoji))}
          actions={actions}
          onClose={() => setSheetFor(undefined)}
        />
      )}
    </>
  );

  return {
    actions,
    editingId,
    replyingTo,
    setReplyingTo,
    jump,
    jumpError,
    /** Bring a search result into view and highlight it. */
    jumpToFound: jumpTo,
    composerRef,
    onComposerKeyDown,
    dialogs,
  };
}
