// The gateway's HTTP API as the script uses it (DESIGN.md §2; contracts: packages/contracts/src/http.ts).

/** HISTORY_LIMIT_MAX in packages/contracts/src/http.ts: the largest history page. */
export const HISTORY_PAGE = 100;

export class HttpError extends Error {
  constructor(method, url, status, body) {
    const detail =
      body && body.error ? `${body.error.code}: ${body.error.message}` : JSON.stringify(body)?.slice(0, 200);
    super(`${method} ${url} -> ${status} ${detail ?? ''}`.trim());
    this.name = 'HttpError';
    this.status = status;
    this.code = body && body.error ? body.error.code : undefined;
    this.retryAfterSec = body && body.error ? body.error.retryAfterSec : undefined;
  }
}

export async function requestJson(method, url, { body, token, timeoutMs = 15_000 } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text.slice(0, 200);
  }
  if (!res.ok) throw new HttpError(method, url, res.status, parsed);
  return parsed;
}

/**
 * A token for `username`: register it, or log in when it exists (409). Returns
 * `{token, user, created}`.
 */
export async function registerOrLogin(baseUrl, username, password) {
  try {
    const r = await requestJson('POST', `${baseUrl}/auth/register`, { body: { username, password } });
    return { token: r.token, user: r.user, created: true };
  } catch (err) {
    if (!(err instanceof HttpError) || err.status !== 409) throw err;
  }
  const r = await requestJson('POST', `${baseUrl}/auth/login`, { body: { username, password } });
  return { token: r.token, user: r.user, created: false };
}

/**
 * Every message of a room with seq > afterSeq, in ascending seq, paging with `after=`.
 * `stop()` true between pages gives up (throws): a slow history must not outlast the run.
 */
export async function fetchHistoryAfter(baseUrl, token, roomId, afterSeq, stop = () => false) {
  const out = [];
  let after = afterSeq;
  for (;;) {
    if (stop()) throw new Error(`history of ${roomId} not read in time`);
    const q = new URLSearchParams({ limit: String(HISTORY_PAGE), after: String(after) });
    let page;
    try {
      page = await requestJson('GET', `${baseUrl}/messages/history/${encodeURIComponent(roomId)}?${q}`, { token });
    } catch (err) {
      // Over the per-user read limit (READ_RATE_LIMIT_PER_SEC): wait as told and ask again.
      if (!(err instanceof HttpError) || err.code !== 'RATE_LIMITED') throw err;
      await new Promise((resolve) => setTimeout(resolve, (err.retryAfterSec ?? 1) * 1000));
      continue;
    }
    for (const m of page.messages) out.push(m);
    if (!page.hasMore || page.messages.length === 0) return out;
    after = page.messages[page.messages.length - 1].seq;
  }
}
