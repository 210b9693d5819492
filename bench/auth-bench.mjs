#!/usr/bin/env node
// Auth through the gateway (issue 3's benchmark). Starts nothing: point it at running services.
//
//   GATEWAY_URL=http://127.0.0.1:3000 USER_SERVICE_URL=http://127.0.0.1:3001 node bench/auth-bench.mjs
//
// In one run, with autocannon:
//   1. GET /auth/me   straight to user-service          (the baseline)
//   2. GET /auth/me   through the gateway               (1 vs 2 is the gateway's own overhead)
//   3. POST /auth/login through the gateway             (bound by bcrypt at the service's BCRYPT_COST)
// 1 and 2 alternate for BENCH_ROUNDS rounds so that a change in machine load hits both alike;
// the summary takes the median round of each. Prints req/s and latency percentiles for each
// run, the summary, and the overhead. Signs up one account
// (`BENCH_USERNAME`, default `bench_auth`) or logs in if it exists. Successful logins do not
// count towards the login rate limit, so the login run measures bcrypt, not the limiter.
//
// Tuning: BENCH_DURATION_SEC (10, per run), BENCH_ROUNDS (3), BENCH_CONNECTIONS (20), BENCH_LOGIN_CONNECTIONS (4),
// BENCH_JSON=1 prints the raw summary as JSON as well.
import autocannon from 'autocannon';

const GATEWAY_URL = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000';
const USER_SERVICE_URL = process.env.USER_SERVICE_URL ?? 'http://127.0.0.1:3001';
const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const LOGIN_CONNECTIONS = Number(process.env.BENCH_LOGIN_CONNECTIONS ?? 4);
const USERNAME = process.env.BENCH_USERNAME ?? 'bench_auth';
const PASSWORD = process.env.BENCH_PASSWORD ?? 'bench password 123';

const say = (msg) => process.stderr.write(`[auth-bench] ${msg}\n`);

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** A token for the bench account: register it, or log in when it already exists. */
async function benchToken() {
  const credentials = { username: USERNAME, password: PASSWORD };
  const registered = await post(`${GATEWAY_URL}/auth/register`, credentials);
  if (registered.status === 201) return registered.body.token;
  const login = await post(`${GATEWAY_URL}/auth/login`, credentials);
  if (login.status !== 200) {
    throw new Error(
      `cannot get a token: register ${registered.status}, login ${login.status} ${JSON.stringify(login.body)}`,
    );
  }
  return login.body.token;
}

function run(title, opts) {
  say(`${title}: ${opts.connections} connections for ${DURATION}s`);
  return new Promise((resolve, reject) => {
    autocannon({ duration: DURATION, ...opts }, (err, result) => {
      if (err) return reject(err);
      resolve({
        title,
        reqPerSec: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        mean: result.latency.mean,
        total: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
      });
    });
  });
}

const token = await benchToken();
const me = { method: 'GET', headers: { authorization: `Bearer ${token}` } };
const loginBody = JSON.stringify({ username: USERNAME, password: PASSWORD });

const directRuns = [];
const gatewayRuns = [];
for (let round = 1; round <= ROUNDS; round++) {
  const meRun = (title, url) => run(`${title} (round ${round})`, { url, connections: CONNECTIONS, ...me });
  directRuns.push(await meRun('GET /auth/me direct to user-service', `${USER_SERVICE_URL}/auth/me`));
  gatewayRuns.push(await meRun('GET /auth/me through the gateway', `${GATEWAY_URL}/auth/me`));
}
const login = await run('POST /auth/login through the gateway', {
  url: `${GATEWAY_URL}/auth/login`,
  connections: LOGIN_CONNECTIONS,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: loginBody,
});

/** The round with the median throughput stands for the scenario. */
const median = (runs) => [...runs].sort((a, b) => a.reqPerSec - b.reqPerSec)[Math.floor(runs.length / 2)];
const direct = median(directRuns);
const viaGateway = median(gatewayRuns);

const fmt = (n, d = 1) => n.toFixed(d);
const table = (rows) => {
  console.log('| run | connections | req/s | p50 ms | p99 ms | mean ms | requests | non-2xx | errors |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [r, c] of rows) {
    console.log(
      `| ${r.title} | ${c} | ${fmt(r.reqPerSec)} | ${r.p50} | ${r.p99} | ${fmt(r.mean, 2)} | ${r.total} | ${r.non2xx} | ${r.errors} |`,
    );
  }
};
const rows = [...directRuns, ...gatewayRuns, login];
console.log('');
table(rows.map((r) => [r, r === login ? LOGIN_CONNECTIONS : CONNECTIONS]));
console.log('');
console.log(`summary (median round of ${ROUNDS}, ${DURATION}s each):`);
table([
  [direct, CONNECTIONS],
  [viaGateway, CONNECTIONS],
  [login, LOGIN_CONNECTIONS],
]);
console.log('');
console.log(
  `gateway overhead on GET /auth/me: ${fmt(viaGateway.mean - direct.mean, 2)} ms mean, ` +
    `${viaGateway.p99 - direct.p99} ms p99, throughput ${fmt((viaGateway.reqPerSec / direct.reqPerSec) * 100)}% of direct`,
);
if (process.env.BENCH_JSON === '1') console.log(JSON.stringify({ duration: DURATION, rows }, null, 2));
if (rows.some((r) => r.non2xx > 0 || r.errors > 0)) {
  say('some requests failed (non-2xx or errors): the figures above include them');
  process.exitCode = 1;
}
