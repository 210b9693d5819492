/** Every Redis key user-service writes, under REDIS_KEY_PREFIX. */
export function userServiceKeys(prefix: string) {
  return {
    loginAttemptsByUser: (username: string) => `${prefix}login-attempts:user:${username}`,
    loginAttemptsByIp: (ip: string) => `${prefix}login-attempts:ip:${ip}`,
    registrationsByIp: (ip: string) => `${prefix}registrations:ip:${ip}`,
  };
}

export type UserServiceKeys = ReturnType<typeof userServiceKeys>;
