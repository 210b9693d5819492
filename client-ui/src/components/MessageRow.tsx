import type { Message } from '@chat/contracts';
import { memo, useMemo } from 'react';
import { canChange } from '../messages/own-messages.js';
import { withPendingChanges, type PendingChange } from '../messages/pending-changes.js';
import { reactionChips } from '../messages/reactions.js';
import type { OutgoingMessage } from '../messages/timeline.js';
import { Avatar } from './Avatar.js';
import { ChangeStatus } from './ChangeStatus.js';
import { MessageActions, type MessageActionHandlers } from './MessageActions.js';
import { MessageAttachments } from './MessageAttachments.js';
import { MessageEditor } from './MessageEditor.js';
import { MessageText } from './MessageText.js';
import { MessageTime } from './MessageTime.js';
import { ReactionChips } from './ReactionChips.js';
import { ReplyQuote } from './ReplyQuote.js';
import { SystemMessageRow } from './SystemMessageRow.js';
import { useLongPress } from './use-long-press.js';

interface MessageRowProps {
  message: Message | OutgoingMessage;
  /** Confirmed, or the state of an own unconfirmed send. */
  status: 'sent' | OutgoingMessage['status'];
  own: boolean;
  /** Same sender as the row above, moments ago: no repeated name and avatar. */
  continued: boolean;
  onRetry?: (clientMsgId: string) => void;
  /** The reader, for their reactions and own changes. */
  meId?: string;
  /** Own edits, deletes and reactions of this message not confirmed yet, or failed. */
  changes?: PendingChange[] | undefined;
  /** Display names of the room's known senders, for who reacted. */
  nameOf?: (userId: string) => string | undefined;
  editing?: boolean;
  /** Just jumped to (from a reply's quote). */
  highlighted?: boolean;
  /** Edit, delete, react, reply: offered on confirmed messages only. */
  actions?: MessageActionHandlers;
}

const NO_CHANGES: PendingChange[] = [];
const unknownName = () => undefined;

/**
 * One message. Its text is React text nodes and links: markup in it is shown, never interpreted.
 * Memoised: a new message re-renders only its own row, not the whole history.
 */
export const MessageRow = memo(function MessageRow(props: MessageRowProps) {
  const { message } = props;
  return 'system' in message && message.system ? <SystemMessageRow message={message} /> : <UserMessageRow {...props} />;
});

/** A message someone wrote: its reply quote, edits, reactions and actions. */
function UserMessageRow(props: MessageRowProps) {
  const { message, status, own, continued, onRetry, meId = '', changes = NO_CHANGES, editing, actions } = props;
  const confirmed = status === 'sent' && 'version' in message ? message : undefined;
  const shown = confirmed ? withPendingChanges(confirmed, changes, meId) : message;
  const deleted = 'deletedAt' in shown && Boolean(shown.deletedAt);
  const editedAt = 'editedAt' in shown && !deleted ? shown.editedAt : undefined;
  const nameOf = props.nameOf ?? unknownName;
  const reactions = ('reactions' in shown && shown.reactions) || undefined;
  // A deleted message loses its files (DESIGN.md §3); an own one shows them while it waits too.
  const attachments = !deleted && shown.attachments?.length ? shown.attachments : undefined;
  const chips = useMemo(() => reactionChips(reactions ?? [], meId, nameOf), [reactions, meId, nameOf]);
  const mine = useMemo(() => new Set(chips.filter((c) => c.mine).map((c) => c.emoji)), [chips]);
  const reacting = useMemo(
    () => new Set(changes.flatMap((c) => (c.kind === 'react' && c.status === 'pending' ? [c.emoji] : []))),
    [changes],
  );
  const target = confirmed && !deleted && actions ? confirmed : undefined;
  const longPress = useLongPress(() => target && actions?.openSheet(target));

  const classes = [
    'msg',
    own ? 'msg--own' : 'msg--other',
    continued && 'msg--continued',
    `msg--${status}`,
    deleted && 'msg--deleted',
    props.highlighted && 'msg--highlighted',
  ];
  return (
    <li
      className={classes.filter(Boolean).join(' ')}
      data-testid="message"
      data-status={status}
      data-message-id={confirmed?.id}
      data-deleted={deleted || undefined}
      tabIndex={confirmed ? -1 : undefined}
      {...(target ? longPress : {})}
    >
      {!own && (
        <div className="msg__gutter">{!continued && <Avatar name={message.senderName} seed={message.senderId} />}</div>
      )}
      <div className="msg__body">
        {own ? (
          <span className="sr-only">You:</span>
        ) : (
          <span className={continued ? 'sr-only' : 'msg__sender'}>{message.senderName}</span>
        )}
        {shown.replyTo && !deleted && <ReplyQuote replyTo={shown.replyTo} onJump={(r) => actions?.jumpTo(r)} />}
        {editing && confirmed && actions ? (
          <MessageEditor
            initialText={shown.text}
            onSave={(text) => actions.saveEdit(confirmed, text)}
            onCancel={actions.cancelEdit}
          />
        ) : (
          <div className="msg__bubble">
            {attachments && <MessageAttachments files={attachments} />}
            {(deleted || shown.text || !attachments) && (
              <p className="msg__text" data-testid="message-text">
                {deleted ? <span className="msg__deleted">Message deleted</span> : <MessageText text={shown.text} />}
              </p>
            )}
            {editedAt && <MessageTime at={editedAt} shown="edited" prefix="Edited " className="msg__edited" />}
            <MessageTime at={message.createdAt} />
          </div>
        )}
        {!deleted && (
          <ReactionChips
            chips={chips}
            pending={reacting}
            onToggle={(emoji, add) => confirmed && actions?.react(confirmed.id, emoji, add)}
          />
        )}
        {actions && changes.length > 0 && (
          <ChangeStatus changes={changes} onRetry={actions.retryChange} onDismiss={actions.dismissChange} />
        )}
        {status === 'pending' && <span className="msg__state">Sending…</span>}
        {status === 'failed' && (
          <span className="msg__state msg__state--failed">
            {('error' in message && message.error) || 'Not sent.'}{' '}
            <button type="button" className="link-button" onClick={() => onRetry?.(message.clientMsgId)}>
              Retry
            </button>
          </span>
        )}
        {target && !editing && actions && (
          <MessageActions message={target} editable={canChange(target, meId)} mine={mine} actions={actions} />
        )}
      </div>
    </li>
  );
}
