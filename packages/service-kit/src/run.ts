import { ConfigError } from './config.js';
import { createLogger } from './logger.js';

export interface RunOptions {
  /**
   * Rejections nobody awaited that are known to be harmless (e.g. a client library's
   * fire-and-forget commands while its server is down): logged at warn, the process keeps
   * running. Everything else unexpected ends the process (see `runService`).
   */
  isBenignRejection?: (reason: unknown) => boolean;
}

/**
 * Run a service's `main`: a ConfigError becomes its one line on stderr, anything else that
 * stops start-up one line naming the service; both exit 1 so orchestrators see the failure.
 *
 * Process-level policy for what no request handler caught (docs/security.md): an uncaught
 * exception or an unhandled rejection leaves the process in an unknown state, so it is logged
 * once at fatal, with the error, and the process exits 1 at once for its supervisor (Docker,
 * Kubernetes, `npm start`) to start a clean one. Per-request errors never get here: every
 * listener answers its own errors.
 */
export function runService(service: string, main: () => Promise<void>, opts: RunOptions = {}): void {
  installCrashPolicy(service, opts);
  main().catch((err: unknown) => {
    const line =
      err instanceof ConfigError
        ? err.message
        : `${service} failed to start: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  });
}

function installCrashPolicy(service: string, opts: RunOptions): void {
  // Its own logger: the service's may not exist yet (or be what failed). pino writes stdout synchronously.
  const log = createLogger(service, 'info');
  const die = (err: unknown, origin: string) => {
    log.fatal({ err, origin }, 'unexpected error; exiting for a clean restart');
    process.exit(1);
  };
  process.on('uncaughtException', (err, origin) => die(err, origin));
  process.on('unhandledRejection', (reason) => {
    if (opts.isBenignRejection?.(reason)) return void log.warn({ err: reason }, 'ignored a known-benign rejection');
    die(reason, 'unhandledRejection');
  });
}
