import type { Message } from '@chat/contracts';

/** Only the sender may edit or delete, and not once it is deleted or if the system wrote it (DESIGN.md §3). */
export function canChange(message: Message, meId: string): boolean {
  return message.senderId === meId && !message.deletedAt && !message.system;
}

/** The message Up-arrow in an empty composer edits: the newest one the reader may still change. */
export function lastEditable(messages: readonly Message[], meId: string): Message | undefined {
  return messages.findLast((m) => canChange(m, meId));
}
