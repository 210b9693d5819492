import type { ChatSocket } from './socket-types.js';

/**
 * The Socket.IO room of every socket of one user, on any node (the Redis adapter spans them):
 * call signals and internal notices reach a user through it. No public room or dm room can
 * be named like this (neither allows `user:`).
 */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}

/** Called on connect: the socket joins its user's room. */
export function joinUserRoom(socket: ChatSocket): void {
  void socket.join(userRoom(socket.data.user.userId));
}
