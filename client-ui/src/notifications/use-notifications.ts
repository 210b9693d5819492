import type { PublicUser } from '@chat/contracts';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { ChatClient } from '../chat/chat-client.js';
import type { MuteStore } from './mute-store.js';
import { notificationText, shouldNotify } from './notify-decision.js';

const supported = () => typeof window !== 'undefined' && 'Notification' in window;
const currentPermission = (): NotificationPermission | 'unsupported' =>
  supported() ? Notification.permission : 'unsupported';

/**
 * System notifications for mentions and direct messages while the tab is hidden. Permission is
 * asked only by `requestPermission` (from a button: a user gesture), never on load. A click on
 * a notification brings the tab forward and opens its room.
 */
export function useNotifications(opts: {
  client: ChatClient;
  me: PublicUser;
  mutes: MuteStore;
  roomTitle: (roomId: string) => string;
  onOpenRoom: (roomId: string) => void;
}) {
  const [permission, setPermission] = useState(currentPermission);
  const latest = useRef(opts);
  latest.current = opts;
  const muted = useSyncExternalStore(opts.mutes.subscribe, opts.mutes.getSnapshot);

  useEffect(
    () =>
      opts.client.onMessage((message) => {
        const { me, mutes, roomTitle, onOpenRoom } = latest.current;
        const input = {
          message,
          me,
          permission: currentPermission(),
          visibility: document.visibilityState,
          muted: mutes.isMuted(message.roomId),
        };
        if (!shouldNotify(input)) return;
        const { title, body } = notificationText(message, roomTitle(message.roomId));
        let notification: Notification;
        try {
          // One per room at a time: a newer message replaces the older one's notification.
          notification = new Notification(title, { body, tag: `room:${message.roomId}` });
        } catch {
          // Android's Chrome allows them only from a service worker: no notification there.
          return;
        }
        notification.onclick = () => {
          window.focus();
          onOpenRoom(message.roomId);
          notification.close();
        };
      }),
    [opts.client],
  );

  const requestPermission = async () => {
    if (!supported()) return;
    setPermission(await Notification.requestPermission());
  };

  return { permission, requestPermission, muted };
}
