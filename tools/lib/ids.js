// Run-scoped names that can be parsed back to integers without allocating: message k of a run
// has clientMsgId `<runId>-<k>`, room j is `<roomPrefix>-<j>`, account i is `<userPrefix><i>`.

/** The integer after `prefix` in `s`, or -1 when `s` does not start with `prefix` + digits. */
export function indexAfter(s, prefix) {
  if (typeof s !== 'string' || s.length <= prefix.length || !s.startsWith(prefix)) return -1;
  let n = 0;
  for (let i = prefix.length; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

export const clientMsgId = (runId, k) => `${runId}-${k}`;
export const roomId = (roomPrefix, j) => `${roomPrefix}-${j}`;
export const username = (userPrefix, i) => `${userPrefix}${i}`;

/** Rooms of client i: i, i+1, ... (roomsPerUser of them) modulo rooms, so rooms fill evenly. */
export function roomsOfClient(i, rooms, roomsPerUser) {
  const out = new Array(roomsPerUser);
  for (let s = 0; s < roomsPerUser; s++) out[s] = (i + s) % rooms;
  return out;
}

/** Slot of room j in client i's room list, or -1 when client i is not a member. */
export function roomSlot(i, j, rooms, roomsPerUser) {
  const slot = (((j - i) % rooms) + rooms) % rooms;
  return slot < roomsPerUser ? slot : -1;
}
