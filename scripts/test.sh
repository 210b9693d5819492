#!/usr/bin/env bash
# `npm test`: install what is missing, bring up real Redis/RabbitMQ/MongoDB where no Docker
# engine runs (scripts/services.sh), then run every test. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -d node_modules ]] || npm ci --no-audit --no-fund

if [[ -n "${REDIS_URL:-}" && -n "${AMQP_URL:-}" && -n "${MONGO_URL:-}" ]]; then
  echo "[test] using REDIS_URL, AMQP_URL, MONGO_URL from the environment" >&2
elif docker info >/dev/null 2>&1; then
  echo "[test] Docker engine found: testcontainers starts what the environment does not name" >&2
else
  bash scripts/services.sh up
  # shellcheck disable=SC1091
  source .services/env
fi

exec npx vitest run "$@"
