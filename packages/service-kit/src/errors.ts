import { HTTP_STATUS_BY_CODE, type AckError, type ErrorBody, type ErrorCode, type ErrorDetail } from '@chat/contracts';
import { ZodError } from 'zod';

/** The one error type every service throws; HTTP, socket acks and the queue consumer map it. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryAfterSec: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { field?: string; retryAfterSec?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.field = opts.field;
    this.retryAfterSec = opts.retryAfterSec;
  }

  get status(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }

  toDetail(): ErrorDetail {
    const detail: ErrorDetail = { code: this.code, message: this.message };
    if (this.field !== undefined) detail.field = this.field;
    if (this.retryAfterSec !== undefined) detail.retryAfterSec = this.retryAfterSec;
    return detail;
  }

  toBody(): ErrorBody {
    return { error: this.toDetail() };
  }

  toAck(): AckError {
    return { ok: false, error: this.toDetail() };
  }
}

/** A schema violation as an INVALID error naming the first offending field. */
export function invalidFromZod(err: ZodError, prefix = ''): AppError {
  const issue = err.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const field = [prefix, path].filter(Boolean).join('.') || undefined;
  const message = issue ? `${field ?? 'input'} ${issue.message}`.trim() : 'invalid input';
  return new AppError('INVALID', message, field === undefined ? {} : { field });
}

/** Parse `input` with `schema`, throwing an INVALID AppError on failure. */
export function parseOrThrow<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } },
  input: unknown,
  prefix = '',
): T {
  const r = schema.safeParse(input);
  if (!r.success) throw invalidFromZod(r.error, prefix);
  return r.data;
}

/**
 * The central error mapper: anything thrown becomes an AppError. Unknown errors are
 * INTERNAL with a generic message (the original is for the log, never the client).
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) return invalidFromZod(err);
  return new AppError('INTERNAL', 'internal error', { cause: err });
}

/** Whether an error is ours to blame (5xx) and worth an error-level log line. */
export function isServerFault(err: AppError): boolean {
  return err.status >= 500;
}
