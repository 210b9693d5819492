// One timer drives every send: at each tick it sends as many messages as the schedule says
// should exist by now, so the total rate stays exact even when ticks arrive late (no
// per-client setInterval drift).

/**
 * Messages due `elapsedMs` after the start: the rate rises linearly from 0 to `rate` over
 * `rampMs`, then holds; nothing beyond `rampMs + durationMs`.
 */
export function dueCount(elapsedMs, rate, rampMs, durationMs) {
  const t = Math.min(Math.max(elapsedMs, 0), rampMs + durationMs) / 1000;
  const ramp = rampMs / 1000;
  const perSec = rate;
  const n = t < ramp ? (perSec * t * t) / (2 * ramp) : (perSec * ramp) / 2 + perSec * (t - ramp);
  return Math.floor(n + 1e-9);
}

/** Total messages a schedule sends. */
export function totalCount(rate, rampMs, durationMs) {
  return dueCount(rampMs + durationMs, rate, rampMs, durationMs);
}

/**
 * Call `send(k)` for k = 0, 1, ... on schedule; resolves when the last one is sent or `stop()`
 * was called. `now` is a monotonic ms clock.
 */
export function runSchedule({ rate, rampMs, durationMs, now, send, tickMs = 1 }) {
  const total = totalCount(rate, rampMs, durationMs);
  const start = now();
  let sent = 0;
  let timer;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  const tick = () => {
    const due = Math.min(total, dueCount(now() - start, rate, rampMs, durationMs));
    while (sent < due) send(sent++);
    if (sent >= total) resolveDone(sent);
    else timer = setTimeout(tick, tickMs);
  };
  tick();
  return {
    total,
    startedAt: start,
    sent: () => sent,
    done,
    stop() {
      clearTimeout(timer);
      resolveDone(sent);
    },
  };
}
