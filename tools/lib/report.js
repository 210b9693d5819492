// The verdict and the human summary of a finished run. Pure: the script passes the report.

/**
 * Why the run failed, if it did: any acked message lost or duplicated (live or in history),
 * connection failures beyond the threshold, or nothing acked at all. Ack errors, out-of-order
 * deliveries (legal across nodes: seq is assigned before the confirm) are reported, not fatal.
 */
export function verdict(report, maxConnectFailures) {
  const failures = [];
  const c = report.connections;
  if (c.failed > maxConnectFailures) failures.push(`${c.failed} connection failures (threshold ${maxConnectFailures})`);
  if (report.mode === 'load') {
    const d = report.deliveries;
    if (report.messages.sent > 0 && report.messages.acked === 0) failures.push('no message was acked');
    if (d.lost > 0) failures.push(`${d.lost} deliveries of acked messages lost (${d.membersWithLoss} members)`);
    if (d.duplicates > 0) failures.push(`${d.duplicates} duplicate deliveries`);
    const p = report.persistence;
    if (p && !p.skipped) {
      if (p.missing > 0) failures.push(`${p.missing} acked messages missing from history`);
      if (p.duplicated > 0) failures.push(`${p.duplicated} messages stored more than once`);
      if (p.mismatched > 0) failures.push(`${p.mismatched} stored messages differ from their ack (seq/id/room)`);
    }
  }
  return { ok: failures.length === 0, exitCode: failures.length === 0 ? 0 : 1, failures };
}

const f = (x, digits = 1) => (x === null || x === undefined ? '-' : Number(x).toFixed(digits));
const lat = (s) =>
  `p50 ${f(s.p50)}  p90 ${f(s.p90)}  p99 ${f(s.p99)}  p99.9 ${f(s.p999)}  max ${f(s.max)} ms  (n=${s.count})`;

/** The end-of-run summary for people. */
export function formatSummary(report) {
  const o = report.options;
  const c = report.connections;
  const lines = [
    '',
    `== socket_test ${report.mode} run ${report.runId}: ${o.users} clients (${o.accounts} accounts)` +
      (report.mode === 'load'
        ? `, ${o.rooms} rooms x ${o.roomsPerUser}/client, ${o.rate} msg/s for ${o.duration} s (+${o.ramp} s ramp), ${o.textSize}-char texts`
        : `, held ${o.duration} s${o.workers > 1 ? ` by ${o.workers} worker processes` : ''}`),
    `target      ${report.target.sockets.join(', ')}  (HTTP ${report.target.http})`,
    `accounts    ${report.accounts.ok} ok (${report.accounts.created} created, ${report.accounts.loggedIn} logged in, ${report.accounts.refreshed} refreshed), ${report.accounts.failed} failed in ${f(report.accounts.seconds, 2)} s`,
    `connect     ${c.connected}/${c.attempted} connected, ${c.failed} failed, ${f(c.ratePerSec, 0)} conn/s; connect ${lat(c.connectMs)}`,
  ];
  if (report.mode === 'load') lines.push(`join        ${lat(c.joinMs)}`);
  if (Object.keys(c.failureReasons).length > 0) lines.push(`            failures: ${JSON.stringify(c.failureReasons)}`);
  if (c.disconnects > 0 || c.reconnects > 0)
    lines.push(`            ${c.disconnects} disconnects, ${c.reconnects} reconnects during the run`);
  if (report.mode === 'load') {
    const m = report.messages;
    const d = report.deliveries;
    lines.push(
      `sent        ${m.sent} (${f(m.sendRatePerSec, 1)}/s achieved), acked ${m.acked}, errors ${m.ackErrors} ${m.ackErrors ? JSON.stringify(m.errorsByCode) : ''}`.trimEnd(),
      `ack         ${lat(m.ackMs)}`,
      `delivery    ${lat(d.latencyMs)}`,
      `deliveries  ${d.received} of ${d.expected} expected (${f(d.perSec, 0)}/s); lost ${d.lost} (${d.membersWithLoss} members), duplicates ${d.duplicates}, out-of-order ${d.outOfOrder}`,
    );
    const side = report.side;
    if (side) {
      const ev = (name, e) =>
        `${name} ${e.sent} sent, ${e.ok} ok${Object.keys(e.errorsByCode).length ? ` ${JSON.stringify(e.errorsByCode)}` : ''}, ack p50 ${f(e.ackMs.p50)} p99 ${f(e.ackMs.p99)} ms`;
      if (side.eventShare > 0)
        lines.push(
          `events      ${ev('edits', side.edits)}; ${ev('reactions', side.reactions)}; ${side.eventsSkipped} of ${side.eventSlots} slots had nothing to change yet; ${side.updatesReceived} messageUpdated received`,
        );
      if (side.typingShare > 0)
        lines.push(
          `presence    ${ev('typing', side.typing)}; ${ev('markRead', side.markRead)}; ${side.typingReceived} typing received`,
        );
    }
    const p = report.persistence;
    if (p.skipped) lines.push('history     not checked (--no-verify-history)');
    else {
      lines.push(
        `history     ${p.persisted}/${p.acked} acked stored once; missing ${p.missing}, duplicated ${p.duplicated}, mismatched ${p.mismatched}; ` +
          (p.completeAfterMs === null
            ? `incomplete after ${f(p.waitedMs / 1000, 1)} s`
            : `complete ≤ ${f(p.completeAfterMs, 0)} ms after the last ack (${p.pollRounds} reads of ${f(p.pollRoundMs, 0)} ms)`),
      );
    }
  }
  lines.push(report.verdict.ok ? 'RESULT      PASS' : `RESULT      FAIL: ${report.verdict.failures.join('; ')}`, '');
  return lines.join('\n');
}

/** One progress line. */
export function formatProgress(p) {
  const parts = [`t=${f(p.elapsedSec, 1)}s`, `connected ${p.connected}/${p.clients}`];
  if (p.sent !== undefined)
    parts.push(`sent ${p.sent}`, `acked ${p.acked}`, `delivered ${p.delivered}`, `p99 ${f(p.p99Ms)} ms`);
  if (p.errors) parts.push(`errors ${p.errors}`);
  return parts.join('  ');
}
