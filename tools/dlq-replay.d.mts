/** Types of tools/dlq-replay.mjs for its TypeScript tests. */
export class UsageError extends Error {}

export type CliOptions = { help: true } | { help: false; url: string; dryRun: boolean; limit: number };
export function parseCli(argv: string[], env: Record<string, string | undefined>): CliOptions;

export interface ReplayEntry {
  messageId: string | undefined;
  /** Why it was dead-lettered (the consumer's reason header, or the broker's x-death reason). */
  reason: string;
  /** Where it goes: `messages.<roomId>`. */
  routingKey?: string;
  /** Why it stays in the DLQ. */
  keep?: string;
}
export function planReplay(msg: {
  content: Buffer;
  properties: { messageId?: string; headers?: Record<string, unknown> };
}): ReplayEntry;

export function replayDeadLetters(options: {
  url: string;
  dryRun?: boolean;
  limit?: number;
  name?: string;
}): Promise<{ moved: ReplayEntry[]; kept: ReplayEntry[] }>;
