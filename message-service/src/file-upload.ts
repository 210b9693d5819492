import type { IncomingMessage } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { UPLOAD_FIELD, UPLOAD_MULTIPART_OVERHEAD_BYTES } from '@chat/contracts';
import { AppError } from '@chat/service-kit';
import busboy from 'busboy';
import { sniffContentType, SNIFF_BYTES } from './content-type-sniff.js';
import { sanitizeFileName } from './file-name.js';
import type { FileStore, StoredFile } from './file-store.js';

export interface ReceiveUploadOptions {
  store: FileStore;
  uploaderId: string;
  maxBytes: number;
}

const tooLarge = (maxBytes: number) => new AppError('PAYLOAD_TOO_LARGE', `a file may hold at most ${maxBytes} bytes`);
const invalid = (message: string) => new AppError('INVALID', message, { field: UPLOAD_FIELD });

/**
 * Reads a `multipart/form-data` body with exactly one part, the file `file`, and streams it
 * into the store as it arrives (no part of the body is held beyond the first bytes used to
 * sniff its type). Rejects with INVALID for anything else (no file part, a second part, a
 * truncated body, malformed or oversized part headers) and PAYLOAD_TOO_LARGE past
 * `maxBytes`; in both cases nothing is left in the store. The caller answers and stops reading.
 */
export function receiveUpload(req: IncomingMessage, opts: ReceiveUploadOptions): Promise<StoredFile> {
  const declared = Number(req.headers['content-length']);
  if (declared > opts.maxBytes + UPLOAD_MULTIPART_OVERHEAD_BYTES) return Promise.reject(tooLarge(opts.maxBytes));
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // File names as UTF-8 (what browsers send), not busboy's default latin1.
      defParamCharset: 'utf8',
      // One file and no field: a second file or any field is reported (filesLimit, fieldsLimit),
      // and parsing stops after two parts. busboy's own size cut-off is one byte past ours, so an overrun is always seen.
      limits: { parts: 2, files: 1, fields: 0, fileSize: opts.maxBytes + 1, headerPairs: 16, fieldNameSize: 100 },
    });
  } catch {
    return Promise.reject(new AppError('INVALID', 'the body must be multipart/form-data with a boundary'));
  }

  return new Promise<StoredFile>((resolve, reject) => {
    let settled = false;
    let storing: Promise<StoredFile> | null = null;
    let failure: Error | null = null;
    /** The file's bytes on their way to the store. */
    let incoming: Readable | null = null;
    const fail = (err: Error) => {
      failure ??= err;
      // While the store writes, stop its source: its rejection settles the answer once the partial file is gone.
      if (storing) return void incoming?.destroy(failure);
      finish();
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      if (failure) reject(failure);
      else if (storing) storing.then(resolve, reject);
      else reject(invalid(`the form must carry a file part named "${UPLOAD_FIELD}"`));
    };

    parser.on('file', (name, stream, info) => {
      if (name !== UPLOAD_FIELD || storing || failure) {
        stream.resume();
        return fail(invalid(`the form must carry exactly one part, a file named "${UPLOAD_FIELD}"`));
      }
      const bounded = stream.pipe(byteLimit(opts.maxBytes));
      stream.once('error', (err) => bounded.destroy(err));
      incoming = bounded;
      let sourceFailed = false;
      bounded.once('error', () => (sourceFailed = true));
      storing = peekHead(bounded, SNIFF_BYTES).then(({ head, body }) =>
        opts.store.put(
          {
            name: sanitizeFileName(info.filename ?? ''),
            contentType: sniffContentType(head),
            uploaderId: opts.uploaderId,
          },
          body,
        ),
      );
      storing.then(
        () => undefined,
        (err: unknown) => {
          storing = null;
          // A failing source is the client's fault (cut off, malformed); a failing store is ours.
          const cause = err instanceof Error ? err : new Error(String(err));
          fail(err instanceof AppError || !sourceFailed ? cause : (failure ?? invalid('the upload could not be read')));
        },
      );
    });
    parser.on('field', () => fail(invalid(`the form must carry exactly one part, a file named "${UPLOAD_FIELD}"`)));
    for (const limit of ['filesLimit', 'fieldsLimit'] as const)
      parser.on(limit, () => fail(invalid(`the form must carry exactly one part, a file named "${UPLOAD_FIELD}"`)));
    parser.on('error', (err: Error) => fail(invalid(`malformed multipart body: ${err.message}`)));
    parser.on('close', () => {
      if (!storing) return fail(failure ?? invalid(`the form must carry a file part named "${UPLOAD_FIELD}"`));
      // The file part ended: its store write settles the answer.
      const pending = storing;
      pending.then(
        () => finish(),
        () => undefined,
      );
    });
    req.once('close', () => {
      if (!req.complete) fail(invalid('the upload was cut off'));
    });
    req.pipe(parser);
  });
}

/** Passes at most `maxBytes` through, then fails with PAYLOAD_TOO_LARGE. */
function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
}

/**
 * The first `n` bytes of `src` (fewer if it is shorter) and a stream of all of it, the peeked
 * bytes included: the type is judged before the store is told it, without buffering the file.
 */
export function peekHead(src: Readable, n: number): Promise<{ head: Buffer; body: Readable }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let length = 0;
    const cleanup = () => {
      src.off('readable', onReadable).off('end', onEnd).off('error', onError);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = src.read() as Buffer | null) !== null) {
        parts.push(chunk);
        length += chunk.length;
        if (length >= n) {
          cleanup();
          const all = Buffer.concat(parts);
          src.unshift(all);
          return resolve({ head: all.subarray(0, n), body: src });
        }
      }
    };
    const onEnd = () => {
      cleanup();
      const all = Buffer.concat(parts);
      resolve({ head: all, body: Readable.from(all.length > 0 ? [all] : []) });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    src.on('readable', onReadable).once('end', onEnd).once('error', onError);
  });
}
