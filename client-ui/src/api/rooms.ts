import {
  membersResponseSchema,
  roomsResponseSchema,
  USERS_BY_IDS_MAX,
  usersResponseSchema,
  type Member,
  type PublicUser,
  type RoomSummary,
} from '@chat/contracts';
import { requestJson } from './http.js';

/** Every room of the user, most recent activity first (DESIGN.md §2). */
export async function fetchRooms(token: string): Promise<RoomSummary[]> {
  return (await requestJson('/messages/rooms', { token, schema: roomsResponseSchema })).rooms;
}

/** A room's members with their online state and read markers (members only). */
export async function fetchMembers(token: string, roomId: string): Promise<Member[]> {
  const path = `/messages/rooms/${encodeURIComponent(roomId)}/members`;
  return (await requestJson(path, { token, schema: membersResponseSchema })).members;
}

/** Public profiles by id, in batches of the API's maximum; unknown ids are left out. */
export async function fetchUsers(token: string, ids: readonly string[]): Promise<PublicUser[]> {
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += USERS_BY_IDS_MAX) batches.push(ids.slice(i, i + USERS_BY_IDS_MAX));
  const answers = await Promise.all(
    batches.map((batch) =>
      requestJson(`/auth/users?ids=${batch.map(encodeURIComponent).join(',')}`, { token, schema: usersResponseSchema }),
    ),
  );
  return answers.flatMap((a) => a.users);
}
