import { dmMembers, extractMentions, type Message } from '@chat/contracts';

export interface NotifyInput {
  message: Message;
  me: { id: string; username: string };
  /** `Notification.permission`, or 'unsupported' where the browser has none. */
  permission: NotificationPermission | 'unsupported';
  /** `document.visibilityState`: only a hidden tab notifies (a visible one shows the message). */
  visibility: DocumentVisibilityState;
  muted: boolean;
}

/**
 * Whether a live message deserves a system notification: someone else's new message that
 * mentions the reader or comes in a direct room, while the tab is hidden, notifications are
 * allowed and the room is not muted. Edits, deletes and reactions arrive as updates and never
 * get here; system messages (internal publish) do not notify.
 */
export function shouldNotify({ message, me, permission, visibility, muted }: NotifyInput): boolean {
  if (permission !== 'granted' || visibility !== 'hidden' || muted) return false;
  if (message.senderId === me.id || message.system || message.deletedAt) return false;
  return dmMembers(message.roomId) !== null || mentionsOf(message).includes(me.username);
}

/** The server's list when it sent one, else the same rule applied here. */
const mentionsOf = (message: Message) => message.mentions ?? extractMentions(message.text);

/** What the notification says: who, where, and the text (or what it carries). */
export function notificationText(message: Message, roomTitle: string): { title: string; body: string } {
  const files = message.attachments?.length ?? 0;
  const body =
    message.text ||
    (files === 1 ? `Sent a file: ${message.attachments![0]!.name}` : files > 1 ? `Sent ${files} files` : '');
  const title = dmMembers(message.roomId) !== null ? message.senderName : `${message.senderName} in ${roomTitle}`;
  return { title, body: body.length > 200 ? `${body.slice(0, 199)}…` : body };
}
