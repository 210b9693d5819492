import { ConfigError } from './config.js';

/**
 * Run a service's `main`: a ConfigError becomes its one line on stderr, anything else that
 * stops start-up one line naming the service; both exit 1 so orchestrators see the failure.
 */
export function runService(service: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const line =
      err instanceof ConfigError
        ? err.message
        : `${service} failed to start: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  });
}
