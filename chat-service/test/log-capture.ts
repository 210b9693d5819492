import { createLogger, type Logger } from '@chat/service-kit';

export interface LogLine {
  level: string;
  msg: string;
  err?: { stack?: string } | string;
  [key: string]: unknown;
}

/** A real JSON logger whose lines are kept for assertions. */
export function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = createLogger('chat-service-test', 'debug', {
    write: (line: string) => void lines.push(JSON.parse(line) as LogLine),
  });
  return { log, lines };
}
