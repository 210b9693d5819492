import { fileIdSchema } from '@chat/contracts';
import { AppError, bearerToken, parseOrThrow, type Logger, type VerifyToken } from '@chat/service-kit';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { sendFile } from './file-download.js';
import type { FileAccess } from './file-access.js';
import type { FileRecords } from './file-records.js';
import type { FileStore, StoredFile } from './file-store.js';
import { receiveUpload } from './file-upload.js';
import type { MessageServiceMetrics } from './metrics.js';
import type { FileUrlSigner } from './signed-file-url.js';
import type { UserRateLimiter } from './user-rate-limiter.js';

export interface FileRoutesDeps {
  verifyToken: VerifyToken;
  files: FileStore;
  access: FileAccess;
  records: FileRecords;
  signer: FileUrlSigner;
  uploadLimiter: UserRateLimiter;
  maxUploadBytes: number;
  metrics: MessageServiceMetrics;
  log: Logger;
}

const fileParamsSchema = z.object({ id: fileIdSchema });
const signedQuerySchema = z.object({
  exp: z
    .string()
    .regex(/^\d{1,12}$/, 'must be a unix time')
    .transform(Number),
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a signature'),
});

/**
 * `POST /files`, `GET /files/:id` and `GET /files/:id/url` (DESIGN.md §2; README.md "Files").
 * The gateway forwards `/files` and `/files/*` here unchanged.
 */
export function fileRouter(deps: FileRoutesDeps): Router {
  const { verifyToken, files, access, signer, metrics } = deps;
  const router = Router();

  router.post('/files', async (req, res) => {
    const { userId } = verifyToken(bearerToken(req.headers.authorization));
    try {
      await deps.uploadLimiter.take(userId);
    } catch (err) {
      metrics.uploads.inc({ outcome: 'limited' });
      throw err;
    }
    let stored: StoredFile;
    try {
      stored = await receiveUpload(req, { store: files, uploaderId: userId, maxBytes: deps.maxUploadBytes });
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'INTERNAL';
      metrics.uploads.inc({
        outcome: code === 'PAYLOAD_TOO_LARGE' ? 'too_large' : code === 'INVALID' ? 'invalid' : 'failed',
      });
      // The rest of the body is not read: the connection closes after the answer.
      res.setHeader('Connection', 'close');
      throw err;
    }
    const file = { id: stored.id, name: stored.name, size: stored.size, contentType: stored.contentType };
    try {
      await deps.records.write({ ...file, uploaderId: userId });
    } catch (err) {
      // Without its record chat-service cannot attach it: the upload failed as a whole.
      await files.delete(stored.id).catch(() => undefined);
      metrics.uploads.inc({ outcome: 'failed' });
      throw new AppError('UNAVAILABLE', 'uploads are unavailable right now', { cause: err });
    }
    metrics.uploads.inc({ outcome: 'stored' });
    metrics.uploadBytes.inc(stored.size);
    res.status(201).json({ file, ...signer.url(stored.id) });
  });

  router.get('/files/:id/url', async (req, res) => {
    const { userId } = verifyToken(bearerToken(req.headers.authorization));
    const { id } = parseOrThrow(fileParamsSchema, req.params, 'params');
    await readableFile(id, userId);
    res.setHeader('Cache-Control', 'private, no-store');
    res.json(signer.url(id));
  });

  router.get('/files/:id', async (req, res) => {
    const { id } = parseOrThrow(fileParamsSchema, req.params, 'params');
    if (req.query.sig !== undefined || req.query.exp !== undefined) return sendSigned(req, res, id);
    const { userId } = verifyToken(bearerToken(req.headers.authorization));
    const file = await readableFile(id, userId);
    await sendFile(req, res, files, file, 'private, no-cache');
  });

  /** A signed URL stands for the bearer token: it opens its own file only, until it expires. */
  async function sendSigned(req: Request, res: Response, id: string): Promise<void> {
    const { exp, sig } = parseOrThrow(signedQuerySchema, req.query, 'query');
    if (!signer.verify(id, exp, sig))
      throw new AppError('FORBIDDEN', 'this link is not valid for this file, or has expired');
    const file = await files.stat(id);
    if (!file) throw new AppError('NOT_FOUND', 'no such file');
    const remainingSec = Math.max(0, exp - Math.floor(Date.now() / 1000));
    await sendFile(req, res, files, file, `private, max-age=${remainingSec}`);
  }

  async function readableFile(id: string, userId: string): Promise<StoredFile> {
    const file = await files.stat(id);
    if (!file) throw new AppError('NOT_FOUND', 'no such file');
    if (!(await access.mayRead(userId, file)))
      throw new AppError('FORBIDDEN', 'not yours, and in no room you can read');
    return file;
  }

  return router;
}
