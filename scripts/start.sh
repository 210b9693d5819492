#!/usr/bin/env bash
# `npm start`: install what is missing, bring up local Redis/RabbitMQ/MongoDB (FerretDB)
# unless the environment names them, build, and run every service with the gateway and UI
# on http://localhost:3000. CHAT_NODES=2 runs two chat-service nodes. A service that exits is
# restarted with backoff (scripts/supervise.sh); Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
export PATH="$PATH:/usr/local/go/bin"

[[ -d node_modules ]] || npm ci --no-audit --no-fund

if [[ -z "${REDIS_URL:-}" || -z "${AMQP_URL:-}" || -z "${MONGO_URL:-}" ]]; then
  bash scripts/services.sh up
  # shellcheck disable=SC1091
  source .services/env
fi

# Development signing keys, generated once. Production must configure its own keys:
# the services refuse to start without JWT_PUBLIC_KEY / JWT_PRIVATE_KEY.
if [[ -z "${JWT_PUBLIC_KEY:-}" || -z "${JWT_PRIVATE_KEY:-}" ]]; then
  if [[ "${NODE_ENV:-development}" == production ]]; then
    echo "[start] NODE_ENV=production needs JWT_PUBLIC_KEY and JWT_PRIVATE_KEY" >&2
    exit 1
  fi
  KEYS="$ROOT/.services/dev-keys"
  if [[ ! -f "$KEYS/private.pem" ]]; then
    mkdir -p "$KEYS" && chmod 700 "$KEYS"
    node tools/gen-keys.mjs "$KEYS"
    echo "[start] generated a development ES256 key pair in $KEYS" >&2
  fi
  JWT_PUBLIC_KEY="$(cat "$KEYS/public.pem")"
  JWT_PRIVATE_KEY="$(cat "$KEYS/private.pem")"
  export JWT_PUBLIC_KEY JWT_PRIVATE_KEY
fi

npm run build

CHAT_NODES="${CHAT_NODES:-1}"
[[ "$CHAT_NODES" =~ ^[1-9]$ ]] || { echo "[start] CHAT_NODES must be 1-9" >&2; exit 1; }
CHAT_URLS=""
for ((i = 0; i < CHAT_NODES; i++)); do CHAT_URLS+="${CHAT_URLS:+,}http://127.0.0.1:$((3003 + i))"; done
export USER_SERVICE_URL="${USER_SERVICE_URL:-http://127.0.0.1:3001}"
export MESSAGE_SERVICE_URL="${MESSAGE_SERVICE_URL:-http://127.0.0.1:3002}"
export CHAT_SERVICE_URLS="${CHAT_SERVICE_URLS:-$CHAT_URLS}"

pids=() # one supervisor (scripts/supervise.sh) per service
run() { # name port [extra env...]
  local name="$1" port="$2"
  shift 2
  if [[ ! -f "$ROOT/$name/dist/main.js" ]]; then
    echo "[start] $name is not built yet; skipping" >&2
    return
  fi
  echo "[start] $name on :$port" >&2
  bash "$ROOT/scripts/supervise.sh" "$name" env PORT="$port" "$@" node "$ROOT/$name/dist/main.js" &
  pids+=($!)
}

stop() { # INT (Ctrl-C), TERM or EXIT
  # npm passes Ctrl-C on as well: one stop is enough, and a second signal must not cut the drain short.
  trap '' INT TERM
  trap - EXIT
  echo "[start] stopping ${#pids[@]} services" >&2
  # Each supervisor sends its service one SIGTERM and waits while it drains (SHUTDOWN_TIMEOUT_MS).
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  [[ "$1" == EXIT ]] || exit 0
}
trap 'stop INT' INT
trap 'stop TERM' TERM
trap 'stop EXIT' EXIT

# Development limits: sign-ups from this machine are not limited, so `node tools/socket_test.js
# --users 50` works on a fresh stack; production keeps REGISTER_MAX_PER_IP for every address.
USER_ENV=()
[[ "${NODE_ENV:-development}" == production ]] || USER_ENV=(REGISTER_LIMIT_EXEMPT="${REGISTER_LIMIT_EXEMPT:-loopback}")
run user-service 3001 "${USER_ENV[@]}"
run message-service 3002
for ((i = 0; i < CHAT_NODES; i++)); do run chat-service $((3003 + i)) NODE_ID="chat-$((i + 1))"; done
run api-gateway 3000

echo "[start] open http://localhost:3000 (RabbitMQ management: http://localhost:15672, guest/guest)" >&2
echo "[start] a service that exits is restarted (1 s, doubling to 30 s); Ctrl-C stops everything" >&2
wait "${pids[@]}" || true
