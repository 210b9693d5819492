import { z } from 'zod';

/** Every error code a client can see, over HTTP or in a socket ack (DESIGN.md §2–3). */
export const ERROR_CODES = [
  'INVALID',
  'INVALID_JSON',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNAVAILABLE',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'INTERNAL',
] as const;

export const errorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

/** HTTP status that goes with each code; socket acks carry the code alone. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  INVALID: 400,
  INVALID_JSON: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UPSTREAM_UNAVAILABLE: 503,
  UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
};

export const errorDetailSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  /** The offending field for INVALID, e.g. `username` or `body.text`. */
  field: z.string().optional(),
  /** Seconds until a retry may succeed, for RATE_LIMITED. */
  retryAfterSec: z.number().int().nonnegative().optional(),
});
export type ErrorDetail = z.infer<typeof errorDetailSchema>;

/** The one error body: `{error:{code, message}}` (DESIGN.md §2). */
export const errorBodySchema = z.object({ error: errorDetailSchema });
export type ErrorBody = z.infer<typeof errorBodySchema>;
