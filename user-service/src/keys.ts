/** Every Redis key user-service writes, under REDIS_KEY_PREFIX. */
export function userServiceKeys(prefix: string) {
  return {
    loginFailuresByIp: (ip: string) => `${prefix}login-failures:ip:${ip}`,
    loginFailuresByUserIp: (username: string, ip: string) => `${prefix}login-failures:user-ip:${username}:${ip}`,
    loginFailuresByUser: (username: string) => `${prefix}login-failures:user:${username}`,
    loginLock: (username: string) => `${prefix}login-lock:${username}`,
    loginLockLevel: (username: string) => `${prefix}login-lock-level:${username}`,
    /** Sorted set: addresses the user signed in from, scored by when. */
    knownAddresses: (username: string) => `${prefix}login-known:${username}`,
    registrationsByIp: (ip: string) => `${prefix}registrations:ip:${ip}`,
    refreshesByUser: (userId: string) => `${prefix}refreshes:user:${userId}`,
  };
}

export type UserServiceKeys = ReturnType<typeof userServiceKeys>;
