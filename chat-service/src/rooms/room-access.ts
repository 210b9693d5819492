import { canAccessRoom } from '@chat/contracts';
import { AppError } from '@chat/service-kit';

/** Public rooms are open to every signed-in user; a dm room only to its two members. */
export function assertRoomAccess(userId: string, roomId: string): void {
  if (!canAccessRoom(userId, roomId)) throw new AppError('FORBIDDEN', 'not a member of this room');
}
