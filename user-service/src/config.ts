import {
  commonConfigShape,
  intVar,
  mongoConfigShape,
  pemVar,
  portVar,
  redisConfigShape,
  tokenConfigShape,
  trustProxyVar,
} from '@chat/service-kit';
import { z } from 'zod';

/** bcrypt rounds below this are for tests only. */
export const MIN_PRODUCTION_BCRYPT_COST = 10;

export const userServiceConfigSchema = z
  .object({
    ...commonConfigShape,
    ...tokenConfigShape,
    PORT: portVar(3001),
    JWT_PRIVATE_KEY: pemVar,
    JWT_TTL_SEC: intVar(3600, 60, 30 * 24 * 3600),
    // A login session's absolute lifetime: refreshes never reach past it (DESIGN.md §2).
    SESSION_MAX_SEC: intVar(7 * 24 * 3600, 60, 365 * 24 * 3600),
    REFRESH_MAX_PER_USER: intVar(30, 1),
    REFRESH_WINDOW_SEC: intVar(600, 1, 86_400),
    BCRYPT_COST: intVar(12, 4, 15),
    ...mongoConfigShape,
    ...redisConfigShape,
    // user-service sits behind the gateway on a private network; the gateway's address is trusted.
    TRUST_PROXY: trustProxyVar('loopback,linklocal,uniquelocal'),
    // Login failures (docs/auth.md): per address, per username from one address, per username.
    LOGIN_MAX_FAILURES_PER_IP: intVar(50, 1),
    LOGIN_MAX_FAILURES_PER_USER_IP: intVar(5, 1),
    LOGIN_MAX_FAILURES_PER_USER: intVar(10, 1),
    LOGIN_FAILURE_WINDOW_SEC: intVar(900, 1, 86_400),
    LOGIN_LOCK_BASE_SEC: intVar(30, 1, 86_400),
    LOGIN_LOCK_MAX_SEC: intVar(900, 1, 86_400),
    REGISTER_MAX_PER_IP: intVar(20, 1),
    REGISTER_WINDOW_SEC: intVar(3600, 1, 86_400),
    // Client addresses whose sign-ups are not limited: `npm start` sets loopback for local load tests.
    REGISTER_LIMIT_EXEMPT: trustProxyVar('none'),
  })
  .superRefine((c, ctx) => {
    if (c.SESSION_MAX_SEC < c.JWT_TTL_SEC) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_MAX_SEC'], message: 'must be at least JWT_TTL_SEC' });
    }
    if (c.LOGIN_LOCK_MAX_SEC < c.LOGIN_LOCK_BASE_SEC) {
      ctx.addIssue({ code: 'custom', path: ['LOGIN_LOCK_MAX_SEC'], message: 'must be at least LOGIN_LOCK_BASE_SEC' });
    }
    if (c.NODE_ENV === 'production' && c.BCRYPT_COST < MIN_PRODUCTION_BCRYPT_COST) {
      ctx.addIssue({
        code: 'custom',
        path: ['BCRYPT_COST'],
        message: `must be at least ${MIN_PRODUCTION_BCRYPT_COST} in production`,
      });
    }
  });

export type UserServiceConfig = z.infer<typeof userServiceConfigSchema>;
