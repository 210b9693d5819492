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

# The browser end-to-end tests drive Debian's Chromium (no browser download is possible here).
if [[ ! -x /usr/bin/chromium ]] && command -v apt-get >/dev/null; then
  echo "[test] installing chromium (apt-get) for the browser tests" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# promtool checks and unit-tests the Prometheus alert rules (deploy/test/observability.test.ts);
# Debian's prometheus package ships it (installed only, never started).
if ! command -v promtool >/dev/null && command -v apt-get >/dev/null; then
  echo "[test] installing promtool (apt-get prometheus) for the alert-rule tests" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

exec npx vitest run "$@"
