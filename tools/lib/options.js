// Command-line options of tools/socket_test.js: one table gives names, defaults, checks and
// the --help text, so the three never disagree.
import { defaultAccountsFile } from './accounts.js';

/** Public room ids (DESIGN.md §3; packages/contracts/src/ids.ts PUBLIC_ROOM_PATTERN). */
const PUBLIC_ROOM_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Usernames: 3–32 of [a-z0-9_.-] (packages/contracts/src/ids.ts USERNAME_PATTERN). */
const USERNAME_PATTERN = /^[a-z0-9_.-]{3,32}$/;
/** Text limit after trimming (packages/contracts/src/ids.ts MESSAGE_TEXT_MAX). */
export const MESSAGE_TEXT_MAX = 4000;

/** Raised for anything wrong on the command line; the script prints it and exits 2. */
export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

const runTag = () => Date.now().toString(36).slice(-6) + Math.random().toString(36).slice(2, 5);

/**
 * kind: 'int' | 'number' | 'string' | 'url' | 'urls' | 'flag'. `min`/`max` bound numbers.
 * A default of `undefined` is shown as its `defaultText`.
 */
export const OPTION_SPECS = [
  {
    name: 'url',
    kind: 'url',
    default: 'http://localhost:3000',
    help: 'gateway base URL (HTTP API; sockets too unless --chat-urls)',
  },
  {
    name: 'chat-urls',
    kind: 'urls',
    default: [],
    defaultText: 'none',
    help: 'comma-separated chat-service URLs: sockets connect to them round-robin, bypassing the gateway',
  },
  { name: 'users', kind: 'int', default: 20, min: 1, max: 100_000, help: 'socket clients to connect' },
  {
    name: 'accounts',
    kind: 'int',
    default: undefined,
    defaultText: '= --users',
    min: 1,
    max: 100_000,
    help: 'distinct accounts the clients log in as (client i uses account i mod accounts)',
  },
  { name: 'rooms', kind: 'int', default: 5, min: 1, max: 10_000, help: 'rooms in the run' },
  {
    name: 'rooms-per-user',
    kind: 'int',
    default: 1,
    min: 1,
    max: 10_000,
    help: 'rooms each client joins (client i joins rooms i, i+1, ... mod --rooms)',
  },
  {
    name: 'rate',
    kind: 'number',
    default: 100,
    min: 0.1,
    max: 1_000_000,
    help: 'total messages per second across all clients',
  },
  {
    name: 'duration',
    kind: 'number',
    default: 10,
    min: 0.1,
    max: 86_400,
    help: 'seconds of sending at --rate (or of holding, with --idle)',
  },
  {
    name: 'ramp',
    kind: 'number',
    default: 1,
    min: 0,
    max: 3600,
    help: 'seconds before --duration during which the rate rises linearly from 0 to --rate',
  },
  {
    name: 'text-size',
    kind: 'int',
    default: 64,
    min: 24,
    max: MESSAGE_TEXT_MAX,
    help: 'characters per message text (24 minimum: the text embeds the send time)',
  },
  {
    name: 'user-prefix',
    kind: 'string',
    default: 'loadtest_',
    help: 'username prefix (usernames <prefix><i>); the accounts are reused from run to run',
  },
  {
    name: 'accounts-file',
    kind: 'string',
    valueName: 'file|none',
    default: undefined,
    defaultText: '~/.cache/chat-socket-test/accounts.json',
    help: 'tokens remembered between runs (refreshed instead of logging in again); none remembers nothing',
  },
  {
    name: 'room-prefix',
    kind: 'string',
    default: undefined,
    defaultText: 'lt-<random>',
    help: 'room id prefix (rooms <prefix>-<j>)',
  },
  {
    name: 'password',
    kind: 'string',
    default: 'load-test-password',
    help: 'password of every load-test account (8-72 bytes)',
  },
  {
    name: 'auth-concurrency',
    kind: 'int',
    default: 8,
    min: 1,
    max: 1000,
    help: 'registrations/logins in flight at once (each costs the server a bcrypt hash)',
  },
  {
    name: 'connect-concurrency',
    kind: 'int',
    default: 50,
    min: 1,
    max: 10_000,
    help: 'socket connects (with their joins) in flight at once',
  },
  {
    name: 'connect-timeout',
    kind: 'number',
    default: 15,
    min: 0.1,
    max: 600,
    help: 'seconds one socket may take to connect before it counts as failed',
  },
  {
    name: 'ack-timeout',
    kind: 'number',
    default: 10,
    min: 0.1,
    max: 600,
    help: 'seconds to wait for outstanding acks after sending stops',
  },
  {
    name: 'delivery-timeout',
    kind: 'number',
    default: 10,
    min: 0,
    max: 600,
    help: 'seconds to wait for outstanding deliveries after the last ack',
  },
  {
    name: 'persist-timeout',
    kind: 'number',
    default: 30,
    min: 0,
    max: 3600,
    help: 'seconds to wait for every acked message to appear in the history API',
  },
  {
    name: 'max-connect-failures',
    kind: 'int',
    default: 0,
    min: 0,
    max: 1_000_000,
    help: 'exit non-zero when more sockets than this fail to connect or join',
  },
  {
    name: 'json',
    kind: 'string',
    valueName: 'file',
    default: undefined,
    defaultText: 'none',
    help: 'write the full report as JSON to this file',
  },
  {
    name: 'progress-interval',
    kind: 'number',
    default: 1,
    min: 0.1,
    max: 3600,
    help: 'seconds between progress updates on stderr',
  },
  {
    name: 'event-share',
    kind: 'number',
    default: 0,
    min: 0,
    max: 0.9,
    help: "share of the scheduled operations that are room events instead of sends: edits of the account's latest message and reactions to the room's, alternately",
  },
  {
    name: 'typing-share',
    kind: 'number',
    default: 0,
    min: 0,
    max: 1,
    help: 'share of the clients that send `typing` and `markRead` (newest seen seq) every --typing-interval seconds while sending',
  },
  {
    name: 'typing-interval',
    kind: 'number',
    default: 3,
    min: 0.1,
    max: 3600,
    help: "seconds between one client's typing/markRead pairs (--typing-share)",
  },
  {
    name: 'no-verify-history',
    kind: 'flag',
    default: false,
    help: 'skip the check of every acked message against the history API',
  },
  {
    name: 'idle',
    kind: 'flag',
    default: false,
    help: 'connect only (no joins), hold for --duration seconds, send nothing (capacity test)',
  },
  {
    name: 'workers',
    kind: 'int',
    default: 1,
    min: 1,
    max: 64,
    help: 'with --idle: child processes sharing the clients (one per core or so for 10,000+ sockets)',
  },
  { name: 'help', kind: 'flag', default: false, help: 'show this help and exit' },
];

const SPEC_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** The --help text: usage line, then every option with its default. */
export function helpText() {
  const rows = OPTION_SPECS.map((s) => {
    const left =
      s.kind === 'flag' ? `--${s.name}` : `--${s.name} <${s.valueName ?? (s.kind === 'urls' ? 'url,url' : s.kind)}>`;
    const def = s.kind === 'flag' ? '' : ` (default: ${s.defaultText ?? String(s.default)})`;
    return `  ${left.padEnd(32)} ${s.help}${def}`;
  });
  return [
    'Usage: node tools/socket_test.js [options]',
    '',
    'Reuses its accounts (remembered tokens are refreshed; others log in, or register when missing;',
    'see tools/README.md), connects Socket.IO clients through the gateway, joins rooms,',
    'sends at a fixed total rate and reports ack and delivery latency, loss, duplicates, order and',
    'persistence (checked through the history API). Exit 0 when nothing acked was lost or',
    'duplicated and connection failures stay within --max-connect-failures; 1 otherwise; 2 on bad options.',
    '',
    'Options:',
    ...rows,
    '',
  ].join('\n');
}

function toKey(name) {
  return name.replace(/-([a-z])/g, (_m, c) => c.toUpperCase());
}

function convert(spec, raw) {
  const fail = (why) => {
    throw new UsageError(`--${spec.name}: ${why} (got "${raw}")`);
  };
  switch (spec.kind) {
    case 'int':
    case 'number': {
      if (!/^-?\d+(\.\d+)?$/.test(raw)) fail(spec.kind === 'int' ? 'must be an integer' : 'must be a number');
      const n = Number(raw);
      if (spec.kind === 'int' && !Number.isInteger(n)) fail('must be an integer');
      if (spec.min !== undefined && n < spec.min) fail(`must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) fail(`must be at most ${spec.max}`);
      return n;
    }
    case 'url':
      return checkUrl(raw, fail);
    case 'urls': {
      const list = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (list.length === 0) fail('must list at least one URL');
      return list.map((u) => checkUrl(u, fail));
    }
    default:
      if (raw === '') fail('must not be empty');
      return raw;
  }
}

function checkUrl(raw, fail) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    fail('must be an http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('must be an http(s) URL');
  return raw.replace(/\/+$/, '');
}

/**
 * Parse argv (without node and script) into options. `--name value` and `--name=value` both
 * work. Throws UsageError for unknown options, missing values and values out of range.
 */
export function parseOptions(argv) {
  const opts = {};
  for (const s of OPTION_SPECS) opts[toKey(s.name)] = Array.isArray(s.default) ? [...s.default] : s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}" (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = SPEC_BY_NAME.get(name);
    if (!spec) throw new UsageError(`unknown option --${name} (see --help)`);
    if (spec.kind === 'flag') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      opts[toKey(name)] = true;
      continue;
    }
    let raw;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else {
      raw = argv[++i];
      if (raw === undefined || raw.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    }
    opts[toKey(name)] = convert(spec, raw);
  }
  if (opts.help) return opts;
  return finish(opts);
}

function finish(opts) {
  opts.accounts ??= opts.users;
  if (opts.accounts > opts.users)
    throw new UsageError(`--accounts (${opts.accounts}) must not exceed --users (${opts.users})`);
  if (opts.roomsPerUser > opts.rooms) {
    throw new UsageError(`--rooms-per-user (${opts.roomsPerUser}) must not exceed --rooms (${opts.rooms})`);
  }
  if (opts.workers > 1 && !opts.idle)
    throw new UsageError('--workers needs --idle (a load run keeps every client in one process)');
  opts.roomPrefix ??= `lt-${runTag()}`;
  opts.accountsFile = opts.accountsFile === 'none' ? null : (opts.accountsFile ?? defaultAccountsFile());
  const lastUser = `${opts.userPrefix}${opts.accounts - 1}`;
  if (!USERNAME_PATTERN.test(opts.userPrefix + '0') || !USERNAME_PATTERN.test(lastUser)) {
    throw new UsageError(`--user-prefix: usernames like "${lastUser}" must be 3-32 characters of a-z, 0-9, _ . -`);
  }
  const lastRoom = `${opts.roomPrefix}-${opts.rooms - 1}`;
  if (!PUBLIC_ROOM_PATTERN.test(lastRoom)) {
    throw new UsageError(`--room-prefix: room ids like "${lastRoom}" must match ${PUBLIC_ROOM_PATTERN}`);
  }
  const pwBytes = Buffer.byteLength(opts.password);
  if (pwBytes < 8 || pwBytes > 72) throw new UsageError('--password: must be 8-72 bytes');
  return opts;
}
