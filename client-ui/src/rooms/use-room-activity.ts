import type { PublicUser } from '@chat/contracts';
import { useEffect, useRef, useState } from 'react';
import { fetchMembers, fetchRooms, fetchUsers } from '../api/rooms.js';
import { RoomActivity, type ActivitySnapshot } from './room-activity.js';

interface RoomActivityOptions {
  me: PublicUser;
  token: string;
  initialRooms: readonly { id: string; peer?: PublicUser | undefined }[];
  onTokenRefused: (token: string) => void;
  onRoomGone: (roomId: string) => void;
}

/** The signed-in user's RoomActivity (one per user, like the chat client) and its latest snapshot. */
export function useRoomActivity(options: RoomActivityOptions): [RoomActivity, ActivitySnapshot] {
  const latest = useRef(options);
  latest.current = options;
  const [activity] = useState(
    () =>
      new RoomActivity({
        me: options.me,
        token: () => latest.current.token,
        fetchRooms,
        fetchMembers,
        fetchUsers,
        onUnauthorized: (token) => latest.current.onTokenRefused(token),
        onRoomGone: (roomId) => latest.current.onRoomGone(roomId),
        initialRooms: options.initialRooms,
      }),
  );
  const [snapshot, setSnapshot] = useState(activity.getSnapshot);
  useEffect(() => {
    setSnapshot(activity.getSnapshot());
    const unsubscribe = activity.subscribe(() => setSnapshot(activity.getSnapshot()));
    return () => {
      unsubscribe();
      activity.stop();
    };
  }, [activity]);
  return [activity, snapshot];
}
