import type { Message } from '@chat/contracts';
import { useEffect, useRef } from 'react';

/** A search result to show in its room; a new `key` jumps again (the same result chosen twice). */
export interface FoundJump {
  message: Pick<Message, 'id' | 'roomId' | 'seq' | 'senderName'>;
  key: number;
}

/** Once the room's first page is in, jump to the search result chosen (each request once). */
export function useFoundJump(
  request: FoundJump | undefined,
  roomLoaded: boolean,
  jump: (target: FoundJump['message'], far: boolean) => Promise<void>,
): void {
  const done = useRef<number>(undefined);
  useEffect(() => {
    if (!request || !roomLoaded || done.current === request.key) return;
    done.current = request.key;
    void jump(request.message, true);
  }, [request, roomLoaded, jump]);
}
