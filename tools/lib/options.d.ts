export const MESSAGE_TEXT_MAX: number;
export class UsageError extends Error {}
export interface OptionSpec {
  name: string;
  kind: 'int' | 'number' | 'string' | 'url' | 'urls' | 'flag';
  default: unknown;
  defaultText?: string;
  valueName?: string;
  min?: number;
  max?: number;
  help: string;
}
export const OPTION_SPECS: OptionSpec[];
export interface Options {
  url: string;
  chatUrls: string[];
  users: number;
  accounts: number;
  rooms: number;
  roomsPerUser: number;
  rate: number;
  duration: number;
  ramp: number;
  textSize: number;
  userPrefix: string;
  roomPrefix: string;
  password: string;
  /** null: --accounts-file none. */
  accountsFile: string | null;
  authConcurrency: number;
  connectConcurrency: number;
  connectTimeout: number;
  ackTimeout: number;
  deliveryTimeout: number;
  persistTimeout: number;
  maxConnectFailures: number;
  json: string | undefined;
  progressInterval: number;
  noVerifyHistory: boolean;
  idle: boolean;
  workers: number;
  help: boolean;
}
export function helpText(): string;
export function parseOptions(argv: string[]): Options;
