import { fileURLToPath } from 'node:url';
import { commonConfigShape, intVar, portVar, trustProxyVar, urlListVar, urlVar } from '@chat/service-kit';
import { MAX_UPLOAD_BYTES_DEFAULT } from '@chat/contracts';
import { z } from 'zod';

/** The built UI of this repository, found relative to this package (src/ and dist/ alike). */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../client-ui/dist', import.meta.url));

const HTTP = ['http:', 'https:'];

export const gatewayConfigSchema = z
  .object({
    ...commonConfigShape,
    PORT: portVar(3000),
    /** The gateway's own /health, /ready and /metrics, for probes and Prometheus only (never public). */
    OPERATOR_PORT: portVar(9100),
    USER_SERVICE_URL: urlVar(HTTP, 'http://127.0.0.1:3001'),
    MESSAGE_SERVICE_URL: urlVar(HTTP, 'http://127.0.0.1:3002'),
    CHAT_SERVICE_URLS: urlListVar(HTTP, 'http://127.0.0.1:3003'),
    STATIC_DIR: z.string().min(1).optional().default(DEFAULT_STATIC_DIR),
    /** How long an upstream may take to start answering before the client gets 504. */
    UPSTREAM_TIMEOUT_MS: intVar(10_000, 100, 600_000),
    /** How long connecting to an upstream may take before the client gets 503. */
    UPSTREAM_CONNECT_TIMEOUT_MS: intVar(800, 50, 60_000),
    /** Socket.IO long-polling GETs are held open by the server for up to its ping interval (25 s). */
    SOCKET_POLL_TIMEOUT_MS: intVar(60_000, 1_000, 600_000),
    /** Largest request body passed upstream (Socket.IO polling posts up to 1 MB by default). */
    MAX_BODY_BYTES: intVar(1_048_576, 1_024, 100 * 1_048_576),
    /** Largest file `POST /files` takes: set it to message-service's MAX_UPLOAD_BYTES (bodies above it plus the multipart framing answer 413 here). */
    MAX_UPLOAD_BYTES: intVar(MAX_UPLOAD_BYTES_DEFAULT, 1, 1024 * 1024 * 1024),
    /**
     * How long a `/files` request may take, body included: an upload is answered only once all
     * of it arrived (25 MiB over 1 Mbit/s takes about 3.5 min). Also the server's request timeout.
     */
    UPLOAD_TIMEOUT_MS: intVar(600_000, 1_000, 3_600_000),
    /** The gateway is the public edge: by default it trusts nobody's X-Forwarded-For. */
    TRUST_PROXY: trustProxyVar('none'),
    /** How often the gateway probes each chat node's /health to route new sockets around dead ones. */
    CHAT_PROBE_INTERVAL_MS: intVar(2_000, 200, 60_000),
  })
  .refine((c) => c.OPERATOR_PORT !== c.PORT || c.PORT === 0, {
    message: 'OPERATOR_PORT must differ from PORT',
    path: ['OPERATOR_PORT'],
  });

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
