export function defaultAccountsFile(): string;
export class AccountStore {
  readonly file: string | null;
  tokens: Record<string, string>;
  static open(file: string | null): Promise<AccountStore>;
  get(baseUrl: string, username: string): string | undefined;
  set(baseUrl: string, username: string, token: string): void;
  save(): Promise<void>;
}
export function obtainToken(
  baseUrl: string,
  username: string,
  password: string,
  store: AccountStore,
): Promise<{ token: string; how: 'refreshed' | 'logged-in' | 'created' }>;
