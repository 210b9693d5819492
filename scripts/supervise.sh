#!/usr/bin/env bash
# supervise.sh NAME COMMAND [ARGS...]: run COMMAND and start it again whenever it exits, for
# `npm start` (scripts/start.sh). Restarts wait 1 s, doubling to 30 s while it keeps failing;
# a run that lasted a minute resets the wait. SIGTERM (or SIGINT) stops it: the command gets
# one SIGTERM, is waited for (it drains, bounded by its SHUTDOWN_TIMEOUT_MS), and this exits 0.
# The command runs in its own process group, so a terminal's Ctrl-C reaches it only through
# here, once (a second signal would cut its drain short).
# SUPERVISE_MIN_DELAY_SEC / SUPERVISE_MAX_DELAY_SEC / SUPERVISE_STABLE_SEC override the timings.
set -uo pipefail
name="$1"
shift
min_delay="${SUPERVISE_MIN_DELAY_SEC:-1}"
max_delay="${SUPERVISE_MAX_DELAY_SEC:-30}"
stable="${SUPERVISE_STABLE_SEC:-60}"

child=0
sleeper=0
stopping=0
stop() {
  stopping=1
  ((child)) && kill -TERM "$child" 2>/dev/null
  ((sleeper)) && kill "$sleeper" 2>/dev/null
}
trap stop TERM INT

set -m # job control: each command in a process group of its own
delay="$min_delay"
while ((!stopping)); do
  started=$SECONDS
  "$@" &
  child=$!
  # `wait` returns early when a trapped signal arrives: wait again until the command has exited.
  while :; do
    wait "$child"
    status=$?
    kill -0 "$child" 2>/dev/null || break
  done
  child=0
  ((stopping)) && break
  ((SECONDS - started >= stable)) && delay="$min_delay"
  echo "[start] $name exited with status $status; restarting in ${delay}s" >&2
  # Sleep in the background so a stop signal is handled at once.
  sleep "$delay" &
  sleeper=$!
  wait "$sleeper" 2>/dev/null
  sleeper=0
  delay=$((delay * 2 > max_delay ? max_delay : delay * 2))
done
exit 0
