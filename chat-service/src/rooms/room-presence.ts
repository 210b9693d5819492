import type { Logger } from '@chat/service-kit';
import type { Presence, PresenceEntry, PresenceUser } from '../adapters/presence.js';
import { InFlight } from '../socket/in-flight.js';
import type { ChatServer, ChatSocket } from '../socket/socket-types.js';
import { isUserRoom } from '../socket/user-room.js';

export interface RoomPresenceDeps {
  io: ChatServer;
  presence: Presence;
  log: Logger;
  /** How often this node renews its connections (a third of the TTL). */
  heartbeatMs: number;
  /** How often this node looks for expired connections (any node may; each departure is announced once). */
  sweepIntervalMs: number;
}

/** Rooms renewed at once by a heartbeat. */
const HEARTBEAT_ROOMS_AT_ONCE = 32;

/** Longest wait at shutdown for presence writes of the closing connections. */
const CLOSE_WAIT_MS = 2000;

/**
 * Presence per room across nodes (DESIGN.md §3.4), read from Socket.IO's own room membership:
 * the adapter reports every local socket entering or leaving a room (its own handlers, another
 * node's `socketsJoin`/`socketsLeave`, a disconnect), so no handler has to remember presence
 * and nothing is kept per connection here. `presence {online}` goes to the room when a user's
 * first connection (any node) enters it and when their last one is gone: left at once, closed
 * after the grace period, or on a dead node after the TTL.
 */
export function trackRoomPresence(deps: RoomPresenceDeps) {
  const { io, presence, log } = deps;
  const nsp = io.of('/');
  const pending = new InFlight();
  /** A socket's own room and its user room are not rooms of the chat. */
  const isChatRoom = (room: string, socketId: string) => room !== socketId && !isUserRoom(room);
  const entryOf = (socket: ChatSocket): PresenceEntry => ({
    userId: socket.data.user.userId,
    connectionId: socket.id,
    displayName: socket.data.user.displayName,
  });
  const announce = (roomId: string, { userId, displayName }: PresenceUser, online: boolean) =>
    io.to(roomId).emit('presence', { roomId, userId, displayName, online });
  // A failed update heals by itself (the heartbeat re-adds a lost join; a missed leave or
  // linger expires with the TTL), and the heartbeat warns once per round while Redis is down.
  const run = (what: string, work: Promise<unknown>) =>
    void pending.track(work).catch((err: unknown) => log.debug({ err, what }, 'presence update failed'));

  const join = (roomId: string, entry: PresenceEntry) =>
    run(
      'join',
      presence.join(roomId, entry).then((first) => first && announce(roomId, entry, true)),
    );

  nsp.adapter.on('join-room', (room: string, socketId: string) => {
    const socket = nsp.sockets.get(socketId);
    if (socket && isChatRoom(room, socketId)) join(room, entryOf(socket));
  });
  // Rooms joined during the handshake (a middleware subscribing the user's rooms) are joined
  // before Socket.IO lists the socket: they count from its connection on.
  io.on('connection', (socket) => {
    for (const room of socket.rooms) if (isChatRoom(room, socket.id)) join(room, entryOf(socket));
  });
  nsp.adapter.on('leave-room', (room: string, socketId: string) => {
    // A socket not listed never connected, so it was never counted.
    const socket = nsp.sockets.get(socketId);
    if (!socket || !isChatRoom(room, socketId)) return;
    const entry = entryOf(socket);
    // A disconnect leaves every room just before Socket.IO marks the socket disconnected, in
    // the same tick: after it, a socket still connected has left on purpose.
    queueMicrotask(() => {
      if (!socket.connected) return run('linger', presence.linger(room, entry));
      run(
        'leave',
        presence.leave(room, entry).then((last) => last && announce(room, entry, false)),
      );
    });
  });

  /** This node's connections in the room now. */
  const localEntries = (room: string): PresenceEntry[] => {
    const entries: PresenceEntry[] = [];
    for (const id of nsp.adapter.rooms.get(room) ?? []) {
      const socket = nsp.sockets.get(id);
      if (socket) entries.push(entryOf(socket));
    }
    return entries;
  };

  /** Renews every local connection; one that presence lost (swept during a stall, Redis data lost) joins again. */
  async function heartbeat(): Promise<void> {
    const rooms = [...nsp.adapter.rooms]
      .filter(([room, ids]) => !ids.has(room) && !isUserRoom(room))
      .map(([room]) => room);
    // A few rooms at a time (sends and joins share this Redis connection and must not queue
    // behind thousands of renewals), each read when renewed: a socket closed meanwhile lingers
    // and must not be renewed.
    for (let i = 0; i < rooms.length; i += HEARTBEAT_ROOMS_AT_ONCE) {
      const renewals = rooms.slice(i, i + HEARTBEAT_ROOMS_AT_ONCE).map((room) =>
        presence.refresh(room, localEntries(room)).then((missing) => {
          for (const entry of missing) {
            if (nsp.adapter.rooms.get(room)?.has(entry.connectionId)) join(room, entry);
          }
        }),
      );
      const failed = (await Promise.allSettled(renewals)).find((r) => r.status === 'rejected');
      if (failed) return log.warn({ err: failed.reason as unknown }, 'presence heartbeat failed');
    }
  }

  async function sweep(): Promise<void> {
    const departures = await presence.sweep();
    for (const { roomId, users } of departures) for (const user of users) announce(roomId, user, false);
  }

  const heartbeatTimer = setInterval(() => void heartbeat(), deps.heartbeatMs).unref();
  const sweepTimer = setInterval(
    () => void sweep().catch((err: unknown) => log.warn({ err }, 'presence sweep failed')),
    deps.sweepIntervalMs,
  ).unref();

  return {
    heartbeat,
    sweep,
    /**
     * Stops renewing and sweeping (other nodes sweep) and waits for the writes of connections
     * closed meanwhile: they linger, so users reconnecting elsewhere never look offline.
     */
    async close(): Promise<void> {
      clearInterval(heartbeatTimer);
      clearInterval(sweepTimer);
      await pending.idleWithin(CLOSE_WAIT_MS);
    },
  };
}
