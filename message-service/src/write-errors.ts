import mongoose from 'mongoose';

/**
 * What a failed MongoDB write says about what to do next:
 * - `outage`: the store is unreachable or not writable now (network, no primary, shutdown,
 *   timeouts). Retry with backoff for as long as it lasts; never dead-letter.
 * - `rejected`: the store refuses this document and always will (a string PostgreSQL cannot
 *   hold behind FerretDB — SQLSTATE 22P05 —, a bad value, an invalid or too large document).
 *   Isolate it and dead-letter it.
 * - `unknown`: anything else. Isolated like a rejection, but dead-lettered only after repeated
 *   attempts while the store is shown to be answering (see PersistConsumer).
 */
export type WriteFailureKind = 'outage' | 'rejected' | 'unknown';

/** Server codes of a store that cannot take writes right now (MongoDB's error_codes.yml). */
const OUTAGE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  24, // LockTimeout
  50, // MaxTimeMSExpired
  89, // NetworkTimeout
  91, // ShutdownInProgress
  112, // WriteConflict
  189, // PrimarySteppedDown
  202, // NetworkInterfaceExceededTimeLimit
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Server codes of a document the store will never take. */
const REJECTED_CODES = new Set([
  2, // BadValue
  9, // FailedToParse
  14, // TypeMismatch
  22, // InvalidBSON
  52, // DollarPrefixedFieldName
  55, // InvalidDBRef
  56, // EmptyFieldName
  57, // DottedFieldName
  121, // DocumentValidationFailure
  10334, // BSONObjectTooLarge
  17419, // document too large to insert
]);

/**
 * FerretDB reports PostgreSQL's refusal as InternalError (code 1) carrying the SQLSTATE:
 * class 22 is "data exception" (22P05 untranslatable character, 22021 invalid byte
 * sequence, 22001 string too long...), a property of the document, not of the server.
 */
const DATA_EXCEPTION = /\bSQLSTATE 22[0-9A-Z]{3}\b/;
const INVALID_DOCUMENT = /invalid (document|bson|utf-?8)|document is too large|unsupported unicode/i;

/** The driver's own refusals of a document it cannot send. */
const NOT_ENCODABLE = /\bBSON|maxBsonObjectSize|larger than|invalid argument/i;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  errmsg?: unknown;
  errorLabels?: unknown;
}

export function classifyWriteError(err: unknown): WriteFailureKind {
  if (isMongoUnavailable(err) || hasOutageLabel(err)) return 'outage';
  // The driver wraps a failure of its own in MongoBulkWriteError, keeping the message but
  // neither the class nor a server code: no code and no per-document error means no server
  // answered (refused connection, closed pool, timeout), unless the document could not even
  // be encoded.
  if (
    err instanceof mongoose.mongo.MongoBulkWriteError &&
    codeOf(err) === undefined &&
    [err.writeErrors].flat().length === 0
  )
    return NOT_ENCODABLE.test(messageOf(err)) ? 'rejected' : 'outage';
  // Refused by the driver before it was sent (a value BSON cannot encode, a document too large).
  if (err instanceof mongoose.mongo.BSON.BSONError || err instanceof mongoose.mongo.MongoInvalidArgumentError)
    return 'rejected';
  return classifyWriteErrorCode(codeOf(err), messageOf(err));
}

/** The same decision for one per-document write error of a bulk write (code and errmsg). */
export function classifyWriteErrorCode(code: number | undefined, message: string): WriteFailureKind {
  if (code !== undefined && OUTAGE_CODES.has(code)) return 'outage';
  if (code !== undefined && REJECTED_CODES.has(code)) return 'rejected';
  if (DATA_EXCEPTION.test(message) || INVALID_DOCUMENT.test(message)) return 'rejected';
  return 'unknown';
}

/** MongoDB unreachable: no server to send to, or the connection broke (timeouts included). */
export function isMongoUnavailable(err: unknown): boolean {
  const { MongoNetworkError, MongoServerSelectionError, MongoNotConnectedError, MongoTopologyClosedError } =
    mongoose.mongo;
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  );
}

function hasOutageLabel(err: unknown): boolean {
  const labels = (err as ErrorLike | null)?.errorLabels;
  return (
    Array.isArray(labels) &&
    labels.some((l) => l === 'RetryableWriteError' || l === 'ResetPool' || l === 'TransientTransactionError')
  );
}

function codeOf(err: unknown): number | undefined {
  const code = (err as ErrorLike | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function messageOf(err: unknown): string {
  const e = err as ErrorLike | null;
  const text = typeof e?.errmsg === 'string' ? e.errmsg : typeof e?.message === 'string' ? e.message : String(err);
  return text;
}
