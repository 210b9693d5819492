#!/usr/bin/env bash
# Local infrastructure for machines without Docker: Redis, RabbitMQ (with management UI)
# and FerretDB standing in for MongoDB, on PostgreSQL.
#
#   scripts/services.sh up     start what does not answer, wait, print the URLs
#   scripts/services.sh down   stop only what `up` started (pid files in .services/)
#   scripts/services.sh env    print `export` lines for the URLs
#   scripts/services.sh tune   (re)install the FerretDB index tuning in its PostgreSQL database
#
# Idempotent: a server that already answers at its URL is used as it is.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.services"
FERRETDB_VERSION="v1.24.2"

REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}"
MONGO_URL="${MONGO_URL:-mongodb://127.0.0.1:27017}"
RABBITMQ_MANAGEMENT_URL="${RABBITMQ_MANAGEMENT_URL:-http://guest:guest@127.0.0.1:15672}"
# FerretDB's storage when this script starts it (the database is created if missing).
FERRETDB_POSTGRESQL_URL="${FERRETDB_POSTGRESQL_URL:-postgres://postgres@127.0.0.1:5432/chat_ferretdb}"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

# host and port of a URL: "scheme://[user[:pass]@]host[:port][/...]"
url_host() { local r="${1#*://}"; r="${r#*@}"; r="${r%%/*}"; echo "${r%%:*}"; }
url_port() { local r="${1#*://}"; r="${r#*@}"; r="${r%%/*}"; [[ "$r" == *:* ]] && echo "${r##*:}" || echo "$2"; }

answers() { # host port
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

wait_for() { # name host port seconds
  local i
  for ((i = 0; i < $4 * 5; i++)); do
    answers "$2" "$3" && return 0
    sleep 0.2
  done
  die "$1 did not answer on $2:$3 within $4 s (log: $STATE/$1.log)"
}

is_local() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 ]]; }

apt_install() {
  command -v apt-get >/dev/null || die "cannot install $*: no apt-get; install it yourself"
  log "installing $* (apt-get)"
  if [[ ! -f "$STATE/.apt-updated" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    touch "$STATE/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---- Redis ----
redis_up() {
  local host port
  host="$(url_host "$REDIS_URL")"; port="$(url_port "$REDIS_URL" 6379)"
  if answers "$host" "$port"; then log "redis answers at $host:$port"; return; fi
  is_local "$host" || die "redis at $REDIS_URL does not answer and is not local"
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$STATE/redis"
  log "starting redis on $host:$port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$STATE/redis" --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"
  wait_for redis "$host" "$port" 15
}

# ---- RabbitMQ ----
rabbit_up() {
  local host port
  host="$(url_host "$AMQP_URL")"; port="$(url_port "$AMQP_URL" 5672)"
  if ! answers "$host" "$port"; then
    is_local "$host" || die "rabbitmq at $AMQP_URL does not answer and is not local"
    command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
    log "starting rabbitmq on $host:$port"
    rabbitmq-server -detached >/dev/null 2>&1 || true
    touch "$STATE/rabbitmq.started"
    rabbitmqctl -q await_startup --timeout 120 >/dev/null 2>&1 || true
    wait_for rabbitmq "$host" "$port" 120
  else
    log "rabbitmq answers at $host:$port"
  fi
  local mhost mport
  mhost="$(url_host "$RABBITMQ_MANAGEMENT_URL")"; mport="$(url_port "$RABBITMQ_MANAGEMENT_URL" 15672)"
  if ! answers "$mhost" "$mport"; then
    if is_local "$host" && command -v rabbitmq-plugins >/dev/null; then
      log "enabling the rabbitmq management plugin"
      rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null
      wait_for rabbitmq-management "$mhost" "$mport" 60
    else
      die "rabbitmq management API does not answer at $mhost:$mport (enable rabbitmq_management)"
    fi
  fi
  # The Prometheus endpoint (:15692): the observability test scrapes it for the series the
  # dashboards and alerts read. Optional for everything else, so only a warning when missing.
  if ! answers "$host" 15692; then
    if is_local "$host" && command -v rabbitmq-plugins >/dev/null; then
      log "enabling the rabbitmq prometheus plugin"
      rabbitmq-plugins enable --quiet rabbitmq_prometheus >/dev/null && wait_for rabbitmq-prometheus "$host" 15692 60
    else
      log "warning: rabbitmq_prometheus does not answer at $host:15692 (deploy/test/observability.test.ts needs it)"
    fi
  fi
}

# ---- PostgreSQL (FerretDB's storage) ----
postgres_up() {
  local host port db admin_url
  host="$(url_host "$FERRETDB_POSTGRESQL_URL")"; port="$(url_port "$FERRETDB_POSTGRESQL_URL" 5432)"
  db="${FERRETDB_POSTGRESQL_URL##*/}"; db="${db%%\?*}"
  if ! answers "$host" "$port"; then
    is_local "$host" || die "postgresql at $host:$port does not answer and is not local"
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    local cluster
    cluster="$(pg_lsclusters --no-header | awk -v p="$port" '$3 == p {print $1, $2; exit}')"
    [[ -n "$cluster" ]] || die "no local postgresql cluster on port $port (pg_lsclusters)"
    log "starting postgresql $cluster on $host:$port"
    # shellcheck disable=SC2086
    pg_ctlcluster $cluster start
    echo "$cluster" >"$STATE/postgresql.started"
    wait_for postgresql "$host" "$port" 60
  else
    log "postgresql answers at $host:$port"
  fi
  command -v psql >/dev/null || apt_install postgresql-client
  admin_url="${FERRETDB_POSTGRESQL_URL%/*}/postgres"
  if [[ "$(psql "$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
    log "creating postgresql database $db"
    psql "$admin_url" -qc "CREATE DATABASE \"$db\"" >/dev/null
  fi
  postgres_tune "$FERRETDB_POSTGRESQL_URL"
}

# FerretDB 1.x turns every equality filter into `_jsonb -> 'field' @> value`, which the
# B-tree expression indexes it builds for MongoDB indexes (`(_jsonb -> 'field')`) cannot
# serve: every {roomId: X} query was a sequential scan of the whole table, slower with every
# message stored (issue 17). This gives each such index a GIN twin on its leading field,
# `USING gin ((_jsonb -> 'field') jsonb_path_ops)`, which serves `@>`: an event trigger twins
# every index FerretDB creates from now on, and existing ones are twinned once. Twins are
# invisible to MongoDB clients (FerretDB lists indexes from its own metadata) and go with
# their table. Idempotent.
postgres_tune() { # postgresql url of FerretDB's database
  psql "$1" -qv ON_ERROR_STOP=1 >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE OR REPLACE FUNCTION ferretdb_gin_twin(idx oid) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  nsp text; tbl text; name text; def text; field text;
BEGIN
  SELECT n.nspname, t.relname, i.relname, pg_get_indexdef(i.oid)
    INTO nsp, tbl, name, def
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE x.indexrelid = idx;
  IF name IS NULL OR name LIKE '%\_gin' OR def NOT LIKE '% USING btree %' THEN RETURN; END IF;
  -- Only FerretDB's collection tables (its schemas hold a _ferretdb_database_metadata table).
  IF to_regclass(format('%I._ferretdb_database_metadata', nsp)) IS NULL THEN RETURN; END IF;
  field := substring(def FROM $re$USING btree \(\(\(_jsonb -> '((?:[^']|'')+)'::text\)\)$re$);
  IF field IS NULL THEN RETURN; END IF;
  field := replace(field, '''''', '''');
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> %L) jsonb_path_ops)',
                 left(tbl, 40) || '_' || left(md5(field), 8) || '_gin', nsp, tbl, field);
END
$fn$;
CREATE OR REPLACE FUNCTION ferretdb_gin_twins_on_create() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE r record;
BEGIN
  FOR r IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' LOOP
    PERFORM ferretdb_gin_twin(r.objid);
  END LOOP;
END
$fn$;
DROP EVENT TRIGGER IF EXISTS ferretdb_gin_twins;
CREATE EVENT TRIGGER ferretdb_gin_twins ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION ferretdb_gin_twins_on_create();
SELECT ferretdb_gin_twin(indexrelid) FROM pg_index;
SQL
}

# ---- FerretDB (MongoDB wire protocol over PostgreSQL) ----
ferretdb_bin() {
  local bin="$STATE/bin/ferretdb"
  if [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1; then echo "$bin"; return; fi
  command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || die "FerretDB needs Go to build (https://go.dev/dl); none found"
  log "building FerretDB $FERRETDB_VERSION (go module proxy; once)"
  # `go install ...@$FERRETDB_VERSION` builds a binary that panics at start because the
  # module lacks build/version/version.txt; build the same module source with that file.
  local modroot src
  modroot="$(go env GOMODCACHE)"
  GOFLAGS=-mod=mod go mod download "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" >&2
  src="$STATE/build/ferretdb-src"
  rm -rf "$src"; mkdir -p "$STATE/build" "$STATE/bin"
  cp -r "$modroot/github.com/!ferret!d!b/!ferret!d!b@$FERRETDB_VERSION" "$src"
  chmod -R u+w "$src"
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  (cd "$src" && go build -o "$bin" ./cmd/ferretdb) >&2
  rm -rf "$src"
  echo "$bin"
}

ferretdb_up() {
  local host port bin debug_port
  # The binary is built even when a MongoDB answers: fault tests start private instances of it.
  bin="$(ferretdb_bin)"
  FERRETDB_BIN="$bin"
  host="$(url_host "$MONGO_URL")"; port="$(url_port "$MONGO_URL" 27017)"
  if answers "$host" "$port"; then log "mongodb answers at $host:$port"; return; fi
  is_local "$host" || die "mongodb at $MONGO_URL does not answer and is not local"
  # PostgreSQL rather than SQLite: FerretDB 1.x pushes neither sort nor index use down to
  # either, but PostgreSQL scans a room's messages about 20x faster (history pages, seq recovery).
  postgres_up
  debug_port="$(free_port)"
  mkdir -p "$STATE/ferretdb-state"
  log "starting FerretDB on $host:$port (debug port $debug_port, storage ${FERRETDB_POSTGRESQL_URL})"
  nohup "$bin" --handler=postgresql --postgresql-url="$FERRETDB_POSTGRESQL_URL" \
    --state-dir="$STATE/ferretdb-state" --listen-addr="$host:$port" \
    --debug-addr="127.0.0.1:$debug_port" --telemetry=disable --log-level=warn \
    >"$STATE/ferretdb.log" 2>&1 &
  echo $! >"$STATE/ferretdb.pid"
  wait_for ferretdb "$host" "$port" 30
}

print_env() {
  cat <<EOF
export REDIS_URL='$REDIS_URL'
export AMQP_URL='$AMQP_URL'
export MONGO_URL='$MONGO_URL'
export RABBITMQ_MANAGEMENT_URL='$RABBITMQ_MANAGEMENT_URL'
export FERRETDB_BIN='${FERRETDB_BIN:-$STATE/bin/ferretdb}'
EOF
}

up() {
  mkdir -p "$STATE"
  redis_up
  rabbit_up
  ferretdb_up
  print_env >"$STATE/env"
  log "ready:"
  log "  REDIS_URL=$REDIS_URL"
  log "  AMQP_URL=$AMQP_URL  (management UI: ${RABBITMQ_MANAGEMENT_URL/\/\/*@/\/\/})"
  log "  MONGO_URL=$MONGO_URL"
}

down() {
  if pid_alive "$STATE/ferretdb.pid"; then log "stopping FerretDB"; kill "$(cat "$STATE/ferretdb.pid")"; fi
  rm -f "$STATE/ferretdb.pid"
  if pid_alive "$STATE/redis.pid"; then log "stopping redis"; kill "$(cat "$STATE/redis.pid")"; fi
  rm -f "$STATE/redis.pid"
  if [[ -f "$STATE/postgresql.started" ]]; then
    log "stopping postgresql"
    # shellcheck disable=SC2046
    pg_ctlcluster $(cat "$STATE/postgresql.started") stop || true
    rm -f "$STATE/postgresql.started"
  fi
  if [[ -f "$STATE/rabbitmq.started" ]]; then
    log "stopping rabbitmq"; rabbitmqctl -q stop >/dev/null 2>&1 || true
    rm -f "$STATE/rabbitmq.started"
  fi
  log "stopped what this script started"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  env) print_env ;;
  tune) postgres_tune "$FERRETDB_POSTGRESQL_URL"; log "FerretDB GIN twins installed in $FERRETDB_POSTGRESQL_URL" ;;
  *) die "usage: $0 up|down|env|tune" ;;
esac
