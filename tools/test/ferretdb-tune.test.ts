// scripts/services.sh tune against a real PostgreSQL: the event trigger gives an index built
// the way FerretDB 1.x builds them a GIN twin that serves FerretDB's `_jsonb -> 'f' @> v`
// filters. Needs PostgreSQL (FERRETDB_POSTGRESQL_URL's server, as `services:up` starts it) and
// psql; skipped without them. Runs in a database of its own, dropped afterwards.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER = (process.env.FERRETDB_POSTGRESQL_URL ?? 'postgres://postgres@127.0.0.1:5432/chat_ferretdb').replace(
  /\/[^/]*$/,
  '',
);
const DB = `tune_test_${randomBytes(4).toString('hex')}`;
const URL_ = `${SERVER}/${DB}`;

const psql = (url: string, sql: string) =>
  execFileSync('psql', [url, '-qtAX', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim();

function postgresAnswers(): boolean {
  try {
    return psql(`${SERVER}/postgres`, 'SELECT 1') === '1';
  } catch {
    return false;
  }
}

const available = postgresAnswers();

describe.skipIf(!available)('services.sh tune (FerretDB GIN twins)', () => {
  beforeAll(() => {
    psql(`${SERVER}/postgres`, `CREATE DATABASE ${DB}`);
    // A FerretDB-like database: a schema with its metadata table, and a collection table with
    // an index FerretDB built before the tuning.
    psql(URL_, 'CREATE SCHEMA app');
    psql(URL_, 'CREATE TABLE app._ferretdb_database_metadata (_jsonb jsonb)');
    psql(URL_, 'CREATE TABLE app.messages_abc (_jsonb jsonb)');
    psql(URL_, `CREATE UNIQUE INDEX messages_abc__id_idx ON app.messages_abc ((_jsonb -> '_id'))`);
    // Not FerretDB's: no metadata table in this schema; never twinned.
    psql(URL_, 'CREATE TABLE public.other (_jsonb jsonb)');
    execFileSync('bash', [`${ROOT}/scripts/services.sh`, 'tune'], {
      env: { ...process.env, FERRETDB_POSTGRESQL_URL: URL_ },
      stdio: 'ignore',
    });
  });
  afterAll(() => {
    psql(`${SERVER}/postgres`, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  });

  const indexes = (table: string) =>
    psql(URL_, `SELECT indexdef FROM pg_indexes WHERE tablename = '${table}' ORDER BY indexname`).split('\n');

  it('twins an index that existed before, and every one FerretDB builds after, on its leading field', () => {
    psql(
      URL_,
      `CREATE INDEX messages_abc_roomid_seq_idx ON app.messages_abc ((_jsonb -> 'roomId'), ((_jsonb -> 'seq')) DESC)`,
    );
    psql(URL_, `CREATE INDEX other_idx ON public.other ((_jsonb -> 'roomId'))`);
    const defs = indexes('messages_abc');
    expect(defs.filter((d) => d.includes('USING gin'))).toEqual([
      expect.stringContaining(`USING gin (((_jsonb -> '_id'::text)) jsonb_path_ops)`),
      expect.stringContaining(`USING gin (((_jsonb -> 'roomId'::text)) jsonb_path_ops)`),
    ]);
    expect(indexes('other').some((d) => d.includes('USING gin'))).toBe(false);
  });

  it("serves FerretDB's equality filter with the twin instead of a scan", () => {
    psql(
      URL_,
      `INSERT INTO app.messages_abc SELECT jsonb_build_object('_id', 'm' || i, 'roomId', 'r' || (i % 500), 'seq', i) FROM generate_series(1, 20000) i`,
    );
    psql(URL_, 'ANALYZE app.messages_abc');
    const plan = psql(URL_, `EXPLAIN SELECT _jsonb FROM app.messages_abc WHERE _jsonb -> 'roomId' @> '"r7"'`);
    expect(plan).toMatch(/Bitmap Index Scan on messages_abc_[0-9a-f]{8}_gin/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('is idempotent', () => {
    const before = indexes('messages_abc').length;
    execFileSync('bash', [`${ROOT}/scripts/services.sh`, 'tune'], {
      env: { ...process.env, FERRETDB_POSTGRESQL_URL: URL_ },
      stdio: 'ignore',
    });
    expect(indexes('messages_abc')).toHaveLength(before);
  });
});
