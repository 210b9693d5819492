import { isIP } from 'node:net';
import { z } from 'zod';

/** Thrown when the environment is missing or malformed; `message` is the one line to print. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Typed config from the environment. On failure throws ConfigError naming the variable,
 * the rule and (for non-secret variables) the value it got, e.g.
 * `config: PORT must be an integer 0-65535 (got "abc")`.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    input[key] = v === '' ? undefined : v;
  }
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '?');
    const got = input[key];
    const shown = got === undefined ? 'missing' : isSecret(key) ? 'got <redacted>' : `got ${JSON.stringify(got)}`;
    return `${key} ${issue.message} (${shown})`;
  });
  throw new ConfigError(`config: ${problems.join('; ')}`);
}

function isSecret(key: string): boolean {
  return /SECRET|PASSWORD|KEY|TOKEN/i.test(key);
}

// ---- variable types ----

export const portVar = (def: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be an integer 0-65535')
    .transform(Number)
    .pipe(z.number().int().min(0, 'must be an integer 0-65535').max(65535, 'must be an integer 0-65535'))
    .optional()
    .default(def);

export const intVar = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^-?\d+$/, `must be an integer ${min}-${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be an integer ${min}-${max}`).max(max, `must be an integer ${min}-${max}`))
    .optional()
    .default(def);

export const boolVar = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .optional()
    .default(def);

/** A URL whose scheme is one of `protocols`, e.g. `urlVar(['redis:', 'rediss:'], 'redis://127.0.0.1:6379')`. */
/** MongoDB's replica-set form lists several hosts (`mongodb://a:27017,b:27017/db`), which URL() refuses. */
const MONGO_MULTI_HOST = /^mongodb:\/\/([^@/\s]+@)?[^/\s,]+(,[^/\s,]+)+(\/\S*)?$/;

function hasProtocol(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return protocols.includes('mongodb:') && MONGO_MULTI_HOST.test(value);
  }
}

const urlSchema = (protocols: string[]) =>
  z
    .string()
    .refine((v) => hasProtocol(v, protocols), {
      message: `must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`,
    });

export const urlVar = (protocols: string[], def?: string) =>
  def === undefined ? urlSchema(protocols) : urlSchema(protocols).optional().default(def);

/** Comma-separated list of URLs (e.g. several chat-service nodes). */
export const urlListVar = (protocols: string[], def?: string) => {
  const list = z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(urlSchema(protocols)).min(1, 'must list at least one URL'));
  return def === undefined ? list : list.optional().default(def.split(','));
};

/**
 * Which proxies to trust for the client address (`X-Forwarded-For`): a comma list of
 * addresses, CIDR subnets or the names `loopback`, `linklocal`, `uniquelocal`; `none` trusts
 * nobody. The array form is what express's `trust proxy` setting and `proxy-addr` take.
 */
export const trustProxyVar = (def: string) =>
  z
    .string()
    .transform((v) =>
      v.trim() === 'none'
        ? []
        : v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
    )
    .pipe(
      z.array(
        z.string().refine((s) => TRUST_NAMES.includes(s) || isIP(s.replace(/\/\d{1,3}$/, '')) !== 0, {
          message: 'must be none or a comma list of IPs, CIDR subnets, loopback, linklocal, uniquelocal',
        }),
      ),
    )
    .optional()
    .default(def === 'none' ? [] : def.split(','));

const TRUST_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

export const logLevelVar = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .optional()
  .default('info');

export const nodeEnvVar = z.enum(['development', 'production', 'test']).optional().default('development');

/** Variables every service reads. */
export const commonConfigShape = {
  NODE_ENV: nodeEnvVar,
  LOG_LEVEL: logLevelVar,
  HOST: z.string().optional().default('0.0.0.0'),
  SHUTDOWN_TIMEOUT_MS: intVar(10_000, 100, 600_000),
};

/** MONGO_URL and MONGO_DB, for the services that keep data in MongoDB. */
export const mongoConfigShape = {
  MONGO_URL: urlVar(['mongodb:', 'mongodb+srv:'], 'mongodb://127.0.0.1:27017'),
  MONGO_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ -')
    .optional()
    .default('chat'),
};

/** REDIS_URL and REDIS_KEY_PREFIX (every key and channel starts with the prefix). */
export const redisConfigShape = {
  REDIS_URL: urlVar(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().max(64).optional().default('chat:'),
};

/** AMQP_URL (the vhost is the URL's path). */
export const amqpConfigShape = {
  AMQP_URL: urlVar(['amqp:', 'amqps:'], 'amqp://guest:guest@127.0.0.1:5672'),
};
