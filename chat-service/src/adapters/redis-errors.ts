import { AppError } from '@chat/service-kit';

/** A failed Redis command as clients see it: retryable (`UNAVAILABLE`), not an internal error. */
export function redisUnavailable(err: unknown): never {
  throw new AppError('UNAVAILABLE', 'temporarily unavailable; retry', { cause: err });
}
