import os from 'node:os';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line: tokens, passwords, cookies, hashes. */
export const REDACT_PATHS = [
  'password',
  'token',
  'passwordHash',
  '*.password',
  '*.token',
  '*.passwordHash',
  'auth.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'handshake.auth.token',
];

/** JSON lines on stdout, one per event, with the service name and host on each. */
export function createLogger(
  service: string,
  level: LoggerOptions['level'] = 'info',
  destination?: pino.DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service, host: os.hostname(), pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
