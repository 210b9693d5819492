import type { IncomingMessage } from 'node:http';

type Decide = (err: string | null | undefined, success: boolean) => void;

/**
 * Engine.IO `allowRequest`: runs for every new session, by polling handshake or direct
 * WebSocket upgrade. Browsers always send Origin, so one outside the allowlist is refused;
 * requests without Origin are not from a browser page and pass. A draining node takes none.
 */
export function allowRequest(allowedOrigins: readonly string[], isDraining: () => boolean) {
  const allowed = new Set(allowedOrigins);
  return (req: IncomingMessage, decide: Decide): void => {
    if (isDraining()) return decide('server shutting down', false);
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.has(origin)) return decide('origin not allowed', false);
    decide(null, true);
  };
}
