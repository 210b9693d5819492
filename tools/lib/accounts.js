// The load-test accounts: reused from run to run, so a run costs the deployment as few
// sign-ups (limited per address) and bcrypt logins as possible (DESIGN.md §2).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { HttpError, registerOrLogin, requestJson } from './http.js';

/** Where tokens are remembered unless --accounts-file says otherwise. */
export function defaultAccountsFile() {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'chat-socket-test', 'accounts.json');
}

/** The claims of a token, read without verifying it (the server verifies; this only schedules). */
function claimsOf(token) {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  } catch {
    return {};
  }
}

const nowSec = () => Math.floor(Date.now() / 1000);

/**
 * Tokens of earlier runs, by deployment and username, in a file only the user can read.
 * `file` null remembers nothing. Entries whose login session has ended are dropped on save.
 */
export class AccountStore {
  constructor(file) {
    this.file = file;
    this.tokens = {};
  }

  static async open(file) {
    const store = new AccountStore(file);
    if (!file) return store;
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8'));
      if (parsed && typeof parsed.tokens === 'object') store.tokens = parsed.tokens;
    } catch (err) {
      if (err.code !== 'ENOENT') process.stderr.write(`socket_test: ignoring unreadable ${file} (${err.message})\n`);
    }
    return store;
  }

  get(baseUrl, username) {
    return this.tokens[`${baseUrl} ${username}`];
  }

  set(baseUrl, username, token) {
    this.tokens[`${baseUrl} ${username}`] = token;
  }

  async save() {
    if (!this.file) return;
    const now = nowSec();
    const live = Object.entries(this.tokens).filter(([, token]) => (claimsOf(token).sexp ?? 0) > now);
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    // Written aside and renamed: a run stopped halfway never leaves half a file.
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ tokens: Object.fromEntries(live) }) + '\n', { mode: 0o600 });
    await rename(tmp, this.file);
  }
}

/**
 * A token for `username`, in the cheapest way that works: a remembered token is refreshed
 * (no bcrypt, and it proves the token still verifies); a remembered account logs in; an
 * unknown one registers, or logs in when the name is taken (409). Returns `{token, how}` with
 * how = 'refreshed' | 'logged-in' | 'created'.
 */
export async function obtainToken(baseUrl, username, password, store) {
  const remembered = store.get(baseUrl, username);
  let how;
  let token;
  const claims = remembered ? claimsOf(remembered) : {};
  // Refresh needs a token still valid, of a session with time left.
  if ((claims.exp ?? 0) > nowSec() + 5 && (claims.sexp ?? 0) > nowSec() + 60) {
    // 429 too: the refresh limit is per user, and a login is the way round it.
    token = await tokenUnless([401, 429], () => requestJson('POST', `${baseUrl}/auth/refresh`, { token: remembered }));
    how = 'refreshed';
  }
  if (!token && remembered) {
    token = await tokenUnless([401], () =>
      requestJson('POST', `${baseUrl}/auth/login`, { body: { username, password } }),
    );
    how = 'logged-in';
  }
  if (!token) {
    const r = await registerOrLogin(baseUrl, username, password);
    token = r.token;
    how = r.created ? 'created' : 'logged-in';
  }
  store.set(baseUrl, username, token);
  return { token, how };
}

/** The token of a successful answer, or null when the server answered one of `statuses` (anything else throws). */
async function tokenUnless(statuses, request) {
  try {
    return (await request()).token;
  } catch (err) {
    if (err instanceof HttpError && statuses.includes(err.status)) return null;
    throw err;
  }
}
