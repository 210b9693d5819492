import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { perDocumentOutcome } from '../src/message-store.js';
import { classifyWriteError } from '../src/write-errors.js';

// The error shapes below are the ones the driver and mongoose produce (seen against FerretDB
// in persist-isolation.test.ts and mongo-outage.test.ts); a server that omits a write
// error's `index` cannot be provoked on FerretDB or MongoDB, so its shape is built here.
const { MongoBulkWriteError, MongoServerError, MongoNetworkError } = mongoose.mongo;

function bulkError(writeErrors: object[], insertedCount: number) {
  return { code: 11000, writeErrors, result: { insertedCount } };
}

describe('perDocumentOutcome: per-document errors are trusted only when they account for every document', () => {
  it('maps duplicates and refusals by position, mongoose-wrapped or not', () => {
    const err = bulkError(
      [
        { code: 11000, index: 0, errmsg: 'E11000 duplicate key' },
        { err: { code: 2, index: 2, errmsg: 'bad value' }, index: 2 },
      ],
      1,
    );
    expect(perDocumentOutcome(err, 3)).toEqual({
      inserted: 1,
      duplicates: [0],
      rejected: [{ index: 2, kind: 'rejected', reason: 'bad value' }],
    });
  });

  it('a write error without a usable index is no outcome: the batch is not taken as stored', () => {
    // mongoose maps a missing server index to `index: undefined` on its wrapper.
    expect(perDocumentOutcome(bulkError([{ err: { code: 2, errmsg: 'x' }, index: undefined }], 2), 3)).toBeNull();
    expect(perDocumentOutcome(bulkError([{ code: 2, index: 7, errmsg: 'x' }], 2), 3)).toBeNull();
    expect(perDocumentOutcome(bulkError([{ code: 2, index: -1, errmsg: 'x' }], 2), 3)).toBeNull();
  });

  it('errors that do not add up to the batch, or none at all (FerretDB 22P05), are no outcome', () => {
    expect(perDocumentOutcome(bulkError([{ code: 11000, index: 0 }], 0), 3)).toBeNull();
    expect(
      perDocumentOutcome(
        bulkError(
          [
            { code: 11000, index: 0 },
            { code: 11000, index: 0 },
          ],
          1,
        ),
        3,
      ),
    ).toBeNull();
    expect(perDocumentOutcome({ code: 1, writeErrors: [], result: { insertedCount: 0 } }, 3)).toBeNull();
    expect(perDocumentOutcome(new Error('boom'), 3)).toBeNull();
  });
});

describe('classifyWriteError', () => {
  it('takes PostgreSQL data exceptions and bad values for refused documents', () => {
    const ferret = new MongoServerError({
      message: '[msg_insert.go:168] ERROR: unsupported Unicode escape sequence (SQLSTATE 22P05)',
      code: 1,
    });
    expect(classifyWriteError(ferret)).toBe('rejected');
    expect(classifyWriteError(new MongoServerError({ message: 'x', code: 2 }))).toBe('rejected');
  });

  it('takes network failures, no primary and the driver-wrapped refused connection for an outage', () => {
    expect(classifyWriteError(new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:1'))).toBe('outage');
    expect(classifyWriteError(new MongoServerError({ message: 'not primary', code: 10107 }))).toBe('outage');
    const wrapped = new MongoBulkWriteError(new Error('connect ECONNREFUSED 127.0.0.1:1'), {} as never);
    expect(classifyWriteError(wrapped)).toBe('outage');
  });

  it('leaves an unrecognised server error unknown (dead-lettered only after attempts while MongoDB answers)', () => {
    expect(classifyWriteError(new MongoServerError({ message: 'something else', code: 1 }))).toBe('unknown');
  });
});
