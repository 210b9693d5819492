/** The Redis keys of the connection layer, under REDIS_KEY_PREFIX (beside keys.ts's). */
export interface ConnectionKeys {
  /** The user's open sockets on every node: a sorted set of socket ids scored by lease expiry (ms). */
  userSockets(userId: string): string;
}

export function connectionKeys(prefix: string): ConnectionKeys {
  return {
    userSockets: (userId) => `${prefix}user:${userId}:sockets`,
  };
}
