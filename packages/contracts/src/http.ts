import { z } from 'zod';
import { displayNameSchema, passwordSchema, roomIdSchema, seqSchema, userIdSchema, usernameSchema } from './ids.js';
import { messageIdParamSchema, messageSchema } from './message.js';

// ---- user-service (DESIGN.md §2) ----

export const publicUserSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
});
export type PublicUser = z.infer<typeof publicUserSchema>;

export const registerBodySchema = z.strictObject({
  username: usernameSchema,
  password: passwordSchema,
  displayName: displayNameSchema.optional(),
});
export type RegisterBody = z.infer<typeof registerBodySchema>;

export const loginBodySchema = z.strictObject({
  username: usernameSchema,
  // Login does not enforce the registration rules: a bad password is just a wrong one.
  password: z.string().min(1).max(1024),
});
export type LoginBody = z.infer<typeof loginBodySchema>;

/** The answer of register, login and refresh. */
export const authResponseSchema = z.object({ user: publicUserSchema, token: z.string() });
export type AuthResponse = z.infer<typeof authResponseSchema>;

export const userResponseSchema = z.object({ user: publicUserSchema });
export type UserResponse = z.infer<typeof userResponseSchema>;

export const usernameParamsSchema = z.strictObject({ username: usernameSchema });

/** `GET /auth/users?ids=<id>,<id>`: at most this many ids per request. */
export const USERS_BY_IDS_MAX = 100;

/** `?ids=` is a comma list of 1–100 user ids; repeats are answered once. */
export const usersByIdsQuerySchema = z.strictObject({
  ids: z
    .string()
    .max(USERS_BY_IDS_MAX * 25)
    .transform((v) => v.split(','))
    .pipe(z.array(userIdSchema).min(1).max(USERS_BY_IDS_MAX, `at most ${USERS_BY_IDS_MAX} ids`))
    .transform((ids) => [...new Set(ids)]),
});
export type UsersByIdsQuery = z.infer<typeof usersByIdsQuerySchema>;

/** Unknown ids are left out; the order is not that of the query. */
export const usersResponseSchema = z.object({ users: z.array(publicUserSchema) });
export type UsersResponse = z.infer<typeof usersResponseSchema>;

// ---- message-service (DESIGN.md §2) ----

export const HISTORY_LIMIT_DEFAULT = 50;
export const HISTORY_LIMIT_MAX = 100;

/** Query strings arrive as strings; only plain digit strings are accepted (no operator objects). */
const intString = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a non-negative integer')
  .transform(Number);

export const historyParamsSchema = z.strictObject({ roomId: roomIdSchema });

export const historyQuerySchema = z
  .strictObject({
    limit: intString.pipe(z.number().int().min(1).max(HISTORY_LIMIT_MAX)).optional().default(HISTORY_LIMIT_DEFAULT),
    before: intString.pipe(seqSchema).optional(),
    after: intString.pipe(seqSchema).optional(),
    /**
     * The current state of messages with seq ≤ this that changed after it (version > it),
     * ascending by version; `after` is then a version cursor (resync, DESIGN.md §3.1).
     */
    changedAfter: intString.pipe(seqSchema).optional(),
  })
  .refine((q) => q.before === undefined || q.after === undefined, {
    message: 'use either before or after, not both',
    path: ['before'],
  })
  .refine((q) => q.before === undefined || q.changedAfter === undefined, {
    message: 'changedAfter pages forward: use after, not before',
    path: ['before'],
  });
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

/** Messages in ascending `seq`; `hasMore` says older (or, with `after`, newer) pages exist. */
export const historyResponseSchema = z.object({
  messages: z.array(messageSchema),
  hasMore: z.boolean(),
});
export type HistoryResponse = z.infer<typeof historyResponseSchema>;

/** `GET /messages/history/:roomId/:messageId`: one message in its current state (404 NOT_FOUND when not stored). */
export const messageParamsSchema = z.strictObject({ roomId: roomIdSchema, messageId: messageIdParamSchema });
export const messageResponseSchema = z.object({ message: messageSchema });
export type MessageResponse = z.infer<typeof messageResponseSchema>;

/** `GET /messages/search` (DESIGN.md §2): `q` 2–100 characters, taken literally. */
export const SEARCH_LIMIT_DEFAULT = 20;
export const SEARCH_LIMIT_MAX = 50;
export const searchQuerySchema = z.strictObject({
  q: z.string().trim().min(2).max(100),
  roomId: roomIdSchema.optional(),
  limit: intString.pipe(z.number().int().min(1).max(SEARCH_LIMIT_MAX)).optional().default(SEARCH_LIMIT_DEFAULT),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;
/** Newest first; `partial` when the time bound cut the scan short. */
export const searchResponseSchema = z.object({ messages: z.array(messageSchema), partial: z.boolean() });
export type SearchResponse = z.infer<typeof searchResponseSchema>;

// ---- every service ----

export const healthResponseSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  service: z.string(),
  checks: z.record(z.string(), z.boolean()).optional(),
});
export type HealthResponse = z.infer<typeof healthResponseSchema>;
