import { randomUUID } from 'node:crypto';
import { dmMembers } from '@chat/contracts';
import { AppError, type Identity } from '@chat/service-kit';
import type { HistoryClient } from '../adapters/history-client.js';
import type { MembershipStore } from '../adapters/memberships.js';
import type { MessagePublisher } from '../adapters/publisher.js';
import type { ChatServer, ChatSocket } from '../socket/socket-types.js';
import { userRoom } from '../socket/user-room.js';
import { membershipEventBody } from './member-event-body.js';

export interface MembershipDeps {
  io: ChatServer;
  store: MembershipStore;
  publisher: MessagePublisher;
  /** message-service's room list: the durable membership, read when Redis lost the user's rooms. */
  history: Pick<HistoryClient, 'rooms'>;
  /** Rooms a user may hold through joinRoom; a new socket is subscribed to at most this many. */
  memberRoomsMax: number;
  /** The sender's budget of direct conversations opened (0 or the retry-after seconds), by key. */
  directOpens: { take(key: string): Promise<number> };
  directOpenKey(userId: string): string;
}

type Member = Pick<Identity, 'userId' | 'displayName'>;

/** A new socket's member rooms, and why they may be incomplete. */
export interface ConnectRooms {
  rooms: string[];
  /** Redis had lost the user's rooms and message-service could not be read: only those in Redis are live. */
  repairError?: unknown;
}

export type Memberships = ReturnType<typeof createMemberships>;

/**
 * Membership on the live path (DESIGN.md §3.3): the Redis set of a user's rooms decides what
 * their sockets are subscribed to; every change is published durable (confirmed) to the
 * persist queue, where message-service stores it. A change whose publish fails is undone and
 * the request answers UNAVAILABLE, so Redis never holds a membership the store was not sent.
 */
export function createMemberships(deps: MembershipDeps) {
  const { io, store } = deps;

  function publishChange(user: Partial<Member> & { userId: string }, roomId: string, member: boolean) {
    const body = membershipEventBody({
      roomId,
      userId: user.userId,
      member,
      at: Date.now(),
      ...(user.displayName ? { displayName: user.displayName.slice(0, 64) } : {}),
    });
    return deps.publisher.publish(roomId, randomUUID(), body);
  }

  /**
   * Every socket of the user, on every node, joins the room and hears of it. The local join is
   * applied at once; the adapter's request reaches the other nodes over the same Redis
   * connection as any later broadcast, so they apply it first too.
   */
  function subscribeAll(userId: string, roomId: string, exceptSocketId?: string): void {
    const sockets = io.in(userRoom(userId));
    io.local.in(userRoom(userId)).socketsJoin(roomId);
    sockets.socketsJoin(roomId);
    const others = exceptSocketId ? io.to(userRoom(userId)).except(exceptSocketId) : io.to(userRoom(userId));
    others.emit('membership', { roomId, member: true });
  }

  return {
    /**
     * joinRoom: makes the caller a member; answers their read marker. Refused once the user
     * holds `memberRoomsMax` rooms, direct ones included (rooms others open with them count
     * too: a stranger's first messages are bounded by DIRECT_OPEN_RATE_LIMIT instead).
     */
    async join(socket: ChatSocket, roomId: string): Promise<number> {
      const me = socket.data.user;
      const { outcome, lastReadSeq } = await store.join(me.userId, roomId, deps.memberRoomsMax);
      if (outcome === 'full') {
        throw new AppError('INVALID', `at most ${deps.memberRoomsMax} rooms per user; leave one first`);
      }
      if (outcome === 'added') {
        try {
          await publishChange(me, roomId, true);
        } catch (err) {
          await store.remove(me.userId, roomId).catch(() => undefined);
          throw err;
        }
        subscribeAll(me.userId, roomId, socket.id);
      }
      return lastReadSeq;
    },

    /** leaveRoom: ends the membership; every socket of the user, on every node, leaves the room. */
    async leave(socket: ChatSocket, roomId: string): Promise<void> {
      const me = socket.data.user;
      const removed = await store.remove(me.userId, roomId);
      // Published even when Redis did not hold it (its data lost): the store may still say member.
      try {
        await publishChange(me, roomId, false);
      } catch (err) {
        if (removed) await store.add(me.userId, roomId).catch(() => undefined);
        throw err;
      }
      // Also when Redis did not know the membership: the user wants out wherever they are in.
      await socket.leave(roomId);
      io.local.in(userRoom(me.userId)).socketsLeave(roomId);
      io.in(userRoom(me.userId)).socketsLeave(roomId);
      if (removed) io.to(userRoom(me.userId)).except(socket.id).emit('membership', { roomId, member: false });
    },

    /**
     * Before a send to a direct room: both users are members from its first message (§3.3), so
     * the recipient's sockets on every node are subscribed (and told) before the message is
     * broadcast. Public rooms return at once; a pair already in both sets costs one round trip.
     */
    async openDirect(sender: Member, roomId: string): Promise<void> {
      const pair = dmMembers(roomId);
      if (pair === null) return;
      const added = await store.addBoth(roomId, pair);
      const joined = pair.filter((_, i) => added[i]);
      if (joined.length === 0) return;
      const opensForPeer = joined.some((userId) => userId !== sender.userId);
      const retryAfterSec = opensForPeer ? await deps.directOpens.take(deps.directOpenKey(sender.userId)) : 0;
      if (retryAfterSec > 0) {
        await Promise.all(joined.map((userId) => store.remove(userId, roomId).catch(() => undefined)));
        throw new AppError('RATE_LIMITED', 'too many new conversations; try again later', { retryAfterSec });
      }
      try {
        await Promise.all(
          joined.map((userId) => publishChange(userId === sender.userId ? sender : { userId }, roomId, true)),
        );
      } catch (err) {
        await Promise.all(joined.map((userId) => store.remove(userId, roomId).catch(() => undefined)));
        throw err;
      }
      for (const userId of joined) subscribeAll(userId, roomId);
    },

    /**
     * The rooms a new socket is subscribed to: the user's set in Redis, repaired from
     * message-service's room list when Redis lost it (or never had it). Capped at
     * `memberRoomsMax`; beyond that, which ones is Redis' pick.
     */
    async roomsOnConnect(user: Member, token: string): Promise<ConnectRooms> {
      const { rooms, complete } = await store.rooms(user.userId, deps.memberRoomsMax);
      if (complete) return { rooms };
      try {
        const durable = await deps.history.rooms(token);
        await store.restore(user.userId, durable);
        const all = new Set([...durable.map((r) => r.roomId), ...rooms]);
        return { rooms: [...all].slice(0, deps.memberRoomsMax) };
      } catch (repairError) {
        return { rooms, repairError };
      }
    },
  };
}
