import { errorBodySchema, type ErrorCode } from '@chat/contracts';
import type { z } from 'zod';

/** An API failure as the UI needs it: the contract's code, a readable message, the field at fault. */
export class ApiError extends Error {
  /** The form field the error belongs to (`username` for the API's `body.username`), if any. */
  readonly field: string | undefined;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    field?: string,
    /** For RATE_LIMITED: seconds until a retry may succeed, when the server said. */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.field = field?.split('.').pop();
  }
}

export interface RequestOptions<T> {
  method?: 'GET' | 'POST';
  body?: unknown;
  token?: string;
  /** Shape of a successful answer; anything else is treated as a server fault. */
  schema: z.ZodType<T>;
  signal?: AbortSignal;
}

/** Same-origin JSON request through the gateway, answering parsed data or throwing ApiError. */
export async function requestJson<T>(path: string, opts: RequestOptions<T>): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      signal: opts.signal ?? null,
      credentials: 'omit',
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'UPSTREAM_UNAVAILABLE', 'Cannot reach the server. Check your connection.');
  }
  const data: unknown = await res.json().catch(() => undefined);
  if (!res.ok) throw toApiError(res.status, data, retryAfterHeader(res.headers));
  const parsed = opts.schema.safeParse(data);
  if (!parsed.success) throw new ApiError(res.status, 'INTERNAL', 'The server sent an unexpected answer.');
  return parsed.data;
}

export function toApiError(status: number, data: unknown, retryAfterSec: number | undefined): ApiError {
  const body = errorBodySchema.safeParse(data);
  if (!body.success) {
    const code = status === 429 ? 'RATE_LIMITED' : status >= 500 ? 'UPSTREAM_UNAVAILABLE' : 'INTERNAL';
    return new ApiError(status, code, `Request failed (${status}).`, undefined, retryAfterSec);
  }
  const { code, message, field } = body.data.error;
  return new ApiError(status, code, message, field, body.data.error.retryAfterSec ?? retryAfterSec);
}

/** `Retry-After` in its delay-seconds form (the HTTP-date form is not used by this API). */
function retryAfterHeader(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}
