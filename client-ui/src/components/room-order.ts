import type { RoomEntry } from '../rooms/room-list-store.js';

/** The sidebar's order — public rooms, then direct conversations — which Alt+↑/↓ follows too. */
export function sidebarSections(rooms: readonly RoomEntry[]): { publicRooms: RoomEntry[]; directRooms: RoomEntry[] } {
  return { publicRooms: rooms.filter((r) => !r.peer), directRooms: rooms.filter((r) => r.peer) };
}

export function sidebarOrder(rooms: readonly RoomEntry[]): RoomEntry[] {
  const { publicRooms, directRooms } = sidebarSections(rooms);
  return [...publicRooms, ...directRooms];
}

/** The room `step` places away from `currentId` in sidebar order, wrapping around; undefined without rooms. */
export function neighbourRoom(rooms: readonly RoomEntry[], currentId: string | undefined, step: 1 | -1) {
  const ordered = sidebarOrder(rooms);
  if (ordered.length === 0) return undefined;
  const at = ordered.findIndex((r) => r.id === currentId);
  if (at === -1) return ordered[step === 1 ? 0 : ordered.length - 1];
  return ordered[(at + step + ordered.length) % ordered.length];
}
