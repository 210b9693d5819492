import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { AppError } from '@chat/service-kit';

export const payloadTooLarge = () => new AppError('PAYLOAD_TOO_LARGE', 'request body is too large');

/**
 * The stream to send upstream instead of `req`, refusing bodies over `maxBytes`. A declared
 * Content-Length is checked at once (node enforces it): `refusing` is told (to close the
 * connection rather than read a body that large) and PAYLOAD_TOO_LARGE thrown; a chunked body
 * is counted as it flows and the stream fails with PAYLOAD_TOO_LARGE when it overruns.
 */
export function limitedBody(req: IncomingMessage, maxBytes: number, refusing: () => void = () => undefined): Readable {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    if (Number(declared) > maxBytes) {
      refusing();
      throw payloadTooLarge();
    }
    return req;
  }
  if (req.headers['transfer-encoding'] === undefined) return req;
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > maxBytes ? payloadTooLarge() : null, chunk);
    },
  });
  return req.pipe(counter);
}
