// One run of the load test: accounts, connections, the send schedule, the waits, the history
// check and the report. Driven by tools/socket_test.js.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import hdr from 'hdr-histogram-js';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ConnectFailure, joinRoom, openSocket } from './clients.js';
import { AccountStore, obtainToken } from './accounts.js';
import { fetchHistoryAfter, HttpError } from './http.js';
import { clientMsgId, roomId, username } from './ids.js';
import { mapWithConcurrency } from './pool.js';
import { formatProgress, verdict } from './report.js';
import { runSchedule, totalCount } from './scheduler.js';
import { ACK_WAIT_MS as SIDE_ACK_WAIT_MS, SideTraffic } from './side-traffic.js';
import { newHistogram, RunTracker, STATUS, summarizeHistogram, tally } from './tracker.js';
import { contiguousSeenSeq, verifyPersistence } from './verify.js';

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Bytes of `t=<13-digit epoch ms> ` that start every text. */
const TEXT_STAMP_LENGTH = 16;
const HISTORY_POLL_MS = 250;
const HISTORY_CONCURRENCY = 4;

export class LoadRun {
  constructor(opts) {
    this.opts = opts;
    this.mode = opts.idle ? 'idle' : 'load';
    // clientMsgIds `<runId>-<k>`: 1-64 of [A-Za-z0-9_-] (contracts ids.ts clientMsgIdSchema).
    this.runId = randomBytes(6).toString('hex');
    this.socketUrls = opts.chatUrls.length > 0 ? opts.chatUrls : [opts.url];
    this.sockets = new Array(opts.users).fill(null);
    this.tokens = [];
    this.historyToken = null;
    this.startSeq = new Array(opts.rooms).fill(Infinity);
    this.closing = false;
    this.stopRequested = false;
    this.schedule = null;
    this.persistence = { skipped: true };
    this.phases = {};
    this.counts = { connected: 0, failed: 0, disconnects: 0, reconnects: 0, resends: 0, resyncFetched: 0 };
    this.failureReasons = {};
    this.connectHist = newHistogram();
    this.joinHist = newHistogram();
    this.startedAt = now();
    const capacity = opts.idle ? 1 : totalCount(opts.rate, opts.ramp * 1000, opts.duration * 1000) + 1;
    this.tracker = new RunTracker({
      capacity,
      clients: opts.users,
      rooms: opts.rooms,
      roomsPerUser: opts.roomsPerUser,
      runId: this.runId,
      roomPrefix: opts.roomPrefix,
      now,
    });
    this.textPad = 'x'.repeat(Math.max(0, opts.textSize - TEXT_STAMP_LENGTH));
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.side = new SideTraffic(opts, (j) => roomId(opts.roomPrefix, j), now);
    /** Scheduled sends (not room events, not resends). */
    this.sendCount = 0;
  }

  fail(reason) {
    this.counts.failed++;
    tally(this.failureReasons, reason);
  }

  async setupAccounts() {
    const { opts } = this;
    const t0 = now();
    const store = await AccountStore.open(opts.accountsFile);
    const how = { created: 0, refreshed: 0, 'logged-in': 0 };
    const errors = {};
    this.tokens = await mapWithConcurrency(opts.accounts, opts.authConcurrency, async (i) => {
      try {
        const r = await obtainToken(opts.url, username(opts.userPrefix, i), opts.password, store);
        how[r.how]++;
        return r.token;
      } catch (err) {
        const key = err instanceof HttpError ? `${err.status} ${err.code ?? ''}`.trim() : String(err.message ?? err);
        tally(errors, key);
        return null;
      }
    });
    try {
      await store.save();
    } catch (err) {
      process.stderr.write(`socket_test: could not remember the tokens in ${opts.accountsFile} (${err.message})\n`);
    }
    const ok = this.tokens.filter(Boolean).length;
    this.historyToken = this.tokens.find(Boolean) ?? null;
    this.accounts = {
      ok,
      created: how.created,
      refreshed: how.refreshed,
      loggedIn: how['logged-in'],
      failed: opts.accounts - ok,
      errors,
      seconds: (now() - t0) / 1000,
    };
    if (errors['429 RATE_LIMITED']) {
      process.stderr.write(
        'socket_test: sign-up or login was rate-limited (429). The accounts made so far are reused by the next run; ' +
          'see tools/README.md for provisioning accounts on a deployment with production limits.\n',
      );
    }
  }

  /** Connect client i, join its rooms, and wire its delivery and reconnect handlers. */
  async connectClient(i) {
    const { opts, tracker } = this;
    const token = this.tokens[i % opts.accounts];
    if (!token) return this.fail('no token (account setup failed)');
    const t0 = now();
    let socket;
    try {
      socket = await openSocket(this.socketUrls[i % this.socketUrls.length], token, opts.connectTimeout * 1000);
    } catch (err) {
      return this.fail(err instanceof ConnectFailure ? err.message : String(err));
    }
    const t1 = now();
    this.connectHist.recordValue(Math.max(1, Math.round((t1 - t0) * 1000)));
    this.sockets[i] = socket;
    const onMessage = (msg) => tracker.recordDelivery(i, msg, now());
    socket.on('receiveMessage', onMessage);
    if (this.side.active) this.side.wire(socket);
    if (!opts.idle) {
      try {
        for (let s = 0; s < opts.roomsPerUser; s++) {
          const j = (i + s) % opts.rooms;
          const ack = await joinRoom(socket, roomId(opts.roomPrefix, j), -1, opts.connectTimeout * 1000);
          if (ack.room.lastSeq < this.startSeq[j]) this.startSeq[j] = ack.room.lastSeq;
        }
      } catch (err) {
        this.sockets[i] = null;
        socket.close();
        return this.fail(err.message);
      }
      this.joinHist.recordValue(Math.max(1, Math.round((now() - t1) * 1000)));
      tracker.member[i] = 1;
    }
    this.counts.connected++;
    let disconnectedAt = 0;
    socket.on('disconnect', (reason) => {
      if (this.closing) return;
      this.counts.disconnects++;
      disconnectedAt = now();
      // A server-side disconnect is not retried by socket.io itself.
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.on('connect', () => {
      if (this.closing) return;
      this.counts.reconnects++;
      if (!opts.idle) void this.resync(i, socket, disconnectedAt, onMessage);
    });
  }

  /**
   * After a reconnect: rejoin with sinceSeq (missed messages count as deliveries; the rest of
   * a capped list comes from history) and resend what was in flight when the link dropped —
   * the same clientMsgId, so the server answers with the original (DESIGN.md §3).
   */
  async resync(i, socket, disconnectedAt, onMessage) {
    const { opts, tracker } = this;
    try {
      for (let s = 0; s < opts.roomsPerUser; s++) {
        const j = (i + s) % opts.rooms;
        const rid = roomId(opts.roomPrefix, j);
        const seen = tracker.lastSeqSeen(i, j);
        const since = seen >= 0 ? seen : this.startSeq[j];
        const ack = await joinRoom(socket, rid, Number.isFinite(since) ? since : -1, opts.connectTimeout * 1000);
        for (const m of ack.missed) onMessage(m);
        if (ack.hasMore && ack.missed.length > 0 && this.historyToken) {
          const rest = await fetchHistoryAfter(opts.url, this.historyToken, rid, ack.missed[ack.missed.length - 1].seq);
          this.counts.resyncFetched += rest.length;
          for (const m of rest) onMessage(m);
        }
      }
    } catch (err) {
      tally(this.failureReasons, `resync: ${err.message}`);
    }
    for (let k = 0; k < tracker.sentCount; k++) {
      if (tracker.status[k] === STATUS.SENT && tracker.senderOf[k] === i && tracker.sendAt[k] < disconnectedAt) {
        this.counts.resends++;
        this.emitSend(socket, k);
      }
    }
  }

  /** Connect clients [from, to) — all of them unless this is one of several --workers. */
  async connectAll(from = 0, to = this.opts.users) {
    const t0 = now();
    await mapWithConcurrency(to - from, this.opts.connectConcurrency, (n) => this.connectClient(from + n));
    this.connectSeconds = (now() - t0) / 1000;
    this.senders = [];
    for (let i = 0; i < this.opts.users; i++)
      if (this.sockets[i] && (this.opts.idle || this.tracker.member[i])) this.senders.push(i);
  }

  text() {
    return `t=${Date.now()} ${this.textPad}`;
  }

  emitSend(socket, k) {
    const { tracker, opts } = this;
    socket.emit(
      'sendMessage',
      {
        roomId: roomId(opts.roomPrefix, tracker.roomOf[k]),
        clientMsgId: clientMsgId(this.runId, k),
        text: this.text(),
      },
      (ack) => {
        tracker.recordAck(k, ack, now());
        if (ack?.ok) this.side.acked(tracker.senderOf[k], tracker.roomOf[k], ack.message);
      },
    );
  }

  /**
   * Operation k: message k goes from the next member round-robin, to each of its rooms in turn;
   * room events (--event-share) go round the members the same way, counted apart, so every
   * member still sends.
   */
  sendOne(k) {
    const { senders, opts, tracker } = this;
    const event = this.side.isEvent(k);
    const n = event ? this.side.events : this.sendCount;
    const i = senders[n % senders.length];
    const slot = Math.floor(n / senders.length) % opts.roomsPerUser;
    const j = (i + slot) % opts.rooms;
    if (event) return this.side.event(k, i, this.sockets, j);
    this.sendCount++;
    tracker.recordSend(k, i, j, now());
    this.emitSend(this.sockets[i], k);
  }

  /** `onSent` is called when the last message has been sent (the waits begin). */
  async sendPhase(onSent) {
    const { opts, tracker } = this;
    const rampMs = opts.ramp * 1000;
    const t0 = now();
    let steadyDelivered = 0;
    let steadySent = 0;
    const steadyTimer = setTimeout(() => {
      steadyDelivered = tracker.delivered;
      steadySent = this.sendCount;
    }, rampMs);
    this.schedule = runSchedule({
      rate: opts.rate,
      rampMs,
      durationMs: opts.duration * 1000,
      now,
      send: (k) => this.sendOne(k),
    });
    this.side.startPresence(this.sockets, (i, j) => tracker.lastSeqSeen(i, j));
    await this.schedule.done;
    this.side.stop();
    clearTimeout(steadyTimer);
    onSent();
    const sendEnd = now();
    this.sendSeconds = (sendEnd - t0) / 1000;
    const steadySeconds = Math.max(0.001, (sendEnd - t0 - rampMs) / 1000);
    this.steadyDeliveriesPerSec = (tracker.delivered - steadyDelivered) / steadySeconds;
    this.steadySendsPerSec = (this.sendCount - steadySent) / steadySeconds;
    // Outstanding acks, then outstanding deliveries, each bounded.
    await this.waitFor(() => tracker.outstandingAcks() === 0, opts.ackTimeout * 1000);
    for (let k = 0; k < tracker.sentCount; k++) tracker.recordSendFailure(k, 'ACK_TIMEOUT');
    this.lastAckAt = 0;
    for (let k = 0; k < tracker.sentCount; k++)
      if (tracker.ackAt[k] > this.lastAckAt) this.lastAckAt = tracker.ackAt[k];
    // History is polled while late deliveries drain, so neither wait inflates the other.
    const verifying =
      opts.noVerifyHistory || tracker.acked === 0 ? Promise.resolve({ skipped: true }) : this.verifyHistory();
    await this.waitFor(() => tracker.lostDeliveries(0).total === 0, opts.deliveryTimeout * 1000, 100);
    await this.waitFor(() => this.side.pending === 0, SIDE_ACK_WAIT_MS + 1000);
    this.persistence = await verifying;
  }

  async waitFor(cond, timeoutMs, intervalMs = 20) {
    const deadline = now() + timeoutMs;
    while (!cond() && now() < deadline && !this.stopRequested) await sleep(intervalMs);
  }

  /** Poll the history API until every acked message is there (or the timeout), then judge it. */
  async verifyHistory() {
    const { opts, tracker } = this;
    const acked = tracker.ackedMessages((j) => roomId(opts.roomPrefix, j));
    if (!this.historyToken)
      return {
        skipped: false,
        error: 'no token to read history with',
        ...verifyPersistence({ acked, stored: [], msgPrefix: `${this.runId}-` }),
        completeAfterMs: null,
        waitedMs: 0,
      };
    // Per room: what has been read, and the seq up to which every acked message was among it
    // (`safe`); each round re-reads only beyond `safe`, so a large history is read about once.
    const rooms = [...new Set(acked.map((a) => a.roomId))].map((id) => {
      const j = Number(id.slice(opts.roomPrefix.length + 1));
      const start = Number.isFinite(this.startSeq[j]) ? this.startSeq[j] : 0;
      const ackedSeqs = acked.filter((a) => a.roomId === id).map((a) => a.seq);
      return { id, safe: start, ackedSeqs: ackedSeqs.sort((a, b) => a - b), kept: [], read: [] };
    });
    const stop = () => now() >= deadline || this.stopRequested;
    const readRoom = async (room) => {
      const fresh = await fetchHistoryAfter(opts.url, this.historyToken, room.id, room.safe, stop);
      room.read = room.kept.concat(fresh);
      const seen = new Set(room.read.map((m) => m.seq));
      room.safe = contiguousSeenSeq(room.ackedSeqs, seen, room.safe);
      room.kept = room.read.filter((m) => m.seq <= room.safe);
    };
    const t0 = now();
    const deadline = t0 + opts.persistTimeout * 1000;
    let result;
    let lastError = null;
    let rounds = 0;
    let roundMs = 0;
    for (;;) {
      const roundStart = now();
      rounds++;
      try {
        await mapWithConcurrency(rooms.length, HISTORY_CONCURRENCY, (r) => readRoom(rooms[r]));
        result = verifyPersistence({ acked, stored: rooms.flatMap((r) => r.read), msgPrefix: `${this.runId}-` });
        lastError = null;
      } catch (err) {
        lastError = err.message;
      }
      roundMs = now() - roundStart;
      if ((result && result.missing === 0 && !lastError) || stop()) break;
      await sleep(HISTORY_POLL_MS);
    }
    result ??= verifyPersistence({ acked, stored: [], msgPrefix: `${this.runId}-` });
    const complete = result.missing === 0 && !lastError;
    return {
      skipped: false,
      ...result,
      // Upper bound: the poll that first found everything ended then; it took pollRoundMs.
      completeAfterMs: complete ? Math.max(0, now() - this.lastAckAt) : null,
      pollRounds: rounds,
      pollRoundMs: roundMs,
      waitedMs: now() - t0,
      ...(lastError ? { error: lastError } : {}),
    };
  }

  progress() {
    const { tracker } = this;
    const line = formatProgress({
      elapsedSec: (now() - this.startedAt) / 1000,
      connected: this.counts.connected,
      clients: this.opts.users,
      ...(this.mode === 'load' && this.schedule
        ? {
            sent: this.sendCount,
            acked: tracker.acked,
            delivered: tracker.delivered,
            p99Ms: tracker.windowHist.totalCount ? tracker.windowHist.getValueAtPercentile(99) / 1000 : null,
          }
        : {}),
      errors: tracker.ackErrors + this.counts.failed,
    });
    tracker.windowHist.reset();
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  /** What an --idle worker reports to the parent (see idle-worker.js). */
  workerStats() {
    return {
      counts: this.counts,
      failureReasons: this.failureReasons,
      connectHist: hdr.encodeIntoCompressedBase64(this.connectHist),
      client: this.clientUsage(),
    };
  }

  /**
   * --idle --workers K: accounts here, then K child processes connect a share of the clients
   * each and hold them; their figures are merged into this run's.
   */
  async connectAndHoldInWorkers() {
    const { opts } = this;
    const share = Math.ceil(opts.users / opts.workers);
    const workers = [];
    for (let w = 0; w * share < opts.users && w < opts.workers; w++) {
      const child = fork(fileURLToPath(new URL('./idle-worker.js', import.meta.url)), [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const worker = { child, ready: null, connected: null, done: null };
      worker.exited = new Promise((resolve) => child.on('exit', resolve));
      const reported = (type) => new Promise((resolve) => child.on('message', (m) => m.type === type && resolve()));
      worker.isReady = Promise.race([reported('ready'), worker.exited]);
      worker.isConnected = Promise.race([reported('connected'), worker.exited]);
      child.on('message', (m) => {
        worker[m.type] = m.stats ?? true;
        if (m.type === 'connected') this.counts.connected += m.stats.counts.connected;
      });
      child.send({
        type: 'init',
        opts,
        tokens: this.tokens,
        from: w * share,
        to: Math.min(opts.users, (w + 1) * share),
      });
      workers.push(worker);
    }
    // Process start-up is not connect time: every worker starts connecting at once.
    await Promise.all(workers.map((w) => w.isReady));
    const t0 = now();
    this.phases.connect = Date.now();
    for (const w of workers) if (w.ready) w.child.send({ type: 'go' });
    await Promise.all(workers.map((w) => w.isConnected));
    this.connectSeconds = (now() - t0) / 1000;
    this.phases.hold = Date.now();
    await Promise.all(workers.map((w) => w.exited));
    this.counts.connected = 0;
    this.workerClients = [];
    for (const w of workers) {
      const stats = w.done ?? w.connected;
      if (!stats) {
        this.fail('worker process exited without a report');
        continue;
      }
      for (const key of Object.keys(this.counts)) this.counts[key] += stats.counts[key];
      for (const [reason, n] of Object.entries(stats.failureReasons)) {
        tally(this.failureReasons, reason, n);
      }
      this.connectHist.add(hdr.decodeFromCompressedBase64(stats.connectHist));
      this.workerClients.push(stats.client);
    }
  }

  clientUsage() {
    const cpu = process.cpuUsage();
    return {
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      eventLoopDelayP99Ms: this.loopDelay.percentile(99) / 1e6,
      rssBytes: process.memoryUsage().rss,
    };
  }

  closeAll() {
    this.closing = true;
    for (const s of this.sockets) s?.close();
  }

  report() {
    const { opts, tracker } = this;
    const c = {
      attempted: opts.users,
      connected: this.counts.connected,
      failed: this.counts.failed,
      failureReasons: this.failureReasons,
      seconds: this.connectSeconds,
      ratePerSec: this.counts.connected / Math.max(0.001, this.connectSeconds ?? 0),
      connectMs: summarizeHistogram(this.connectHist),
      joinMs: summarizeHistogram(this.joinHist),
      disconnects: this.counts.disconnects,
      reconnects: this.counts.reconnects,
      resends: this.counts.resends,
    };
    const report = {
      tool: 'socket_test',
      runId: this.runId,
      mode: this.mode,
      startedAt: new Date(Date.now() - (now() - this.startedAt)).toISOString(),
      options: { ...opts, password: undefined },
      target: { http: opts.url, sockets: this.socketUrls },
      phases: this.phases,
      accounts: this.accounts,
      connections: c,
      // With --workers: the parent's and each worker's figures summed (loop delay: the worst).
      client: [this.clientUsage(), ...(this.workerClients ?? [])].reduce((a, b) => ({
        cpuSeconds: a.cpuSeconds + b.cpuSeconds,
        eventLoopDelayP99Ms: Math.max(a.eventLoopDelayP99Ms, b.eventLoopDelayP99Ms),
        rssBytes: a.rssBytes + b.rssBytes,
      })),
    };
    if (this.mode === 'load') {
      const lost = tracker.lostDeliveries();
      report.messages = {
        planned: this.schedule?.total ?? 0,
        sent: this.sendCount,
        sendSeconds: this.sendSeconds,
        sendRatePerSec: this.steadySendsPerSec,
        acked: tracker.acked,
        ackErrors: tracker.ackErrors,
        errorsByCode: tracker.errorsByCode,
        ackMs: summarizeHistogram(tracker.ackHist),
      };
      report.deliveries = {
        expected: tracker.expectedDeliveries(),
        received: tracker.delivered,
        perSec: this.steadyDeliveriesPerSec,
        lost: lost.total,
        membersWithLoss: lost.membersWithLoss,
        worstMember: lost.worst,
        lostSamples: lost.samples,
        duplicates: tracker.duplicates,
        outOfOrder: tracker.outOfOrder,
        // Deliveries whose seq was below one the same member had already seen in that room.
        outOfOrderByRoom: Object.fromEntries(
          [...tracker.outOfOrderByRoom].flatMap((n, j) => (n > 0 ? [[roomId(opts.roomPrefix, j), n]] : [])),
        ),
        foreign: tracker.foreign,
        notMember: tracker.notMember,
        latencyFallbacks: tracker.latencyFallbacks,
        latencyMs: summarizeHistogram(tracker.deliveryHist),
        slowestBySecond: tracker.slowestBySecond(),
      };
      report.persistence = this.persistence;
      report.side = this.side.report();
    }
    report.verdict = verdict(report, opts.maxConnectFailures);
    return report;
  }

  async run() {
    const { opts } = this;
    this.loopDelay.enable();
    const ticker = setInterval(() => this.progress(), opts.progressInterval * 1000);
    // Wall-clock times (epoch ms) of each phase, to line the run up with server-side data.
    const mark = (phase) => (this.phases[phase] = Date.now());
    try {
      mark('accounts');
      await this.setupAccounts();
      mark('connect');
      if (opts.workers > 1) {
        await this.connectAndHoldInWorkers();
      } else {
        await this.connectAll();
        mark(this.mode === 'idle' ? 'hold' : 'send');
        if (this.mode === 'idle') await this.waitFor(() => false, opts.duration * 1000, 100);
        else if (this.senders.length === 0)
          process.stderr.write('socket_test: no client connected and joined; nothing to send\n');
        else await this.sendPhase(() => mark('drain'));
      }
    } finally {
      mark('close');
      clearInterval(ticker);
      this.side.stop();
      this.closeAll();
      if (process.stderr.isTTY) process.stderr.write('\n');
    }
    this.loopDelay.disable();
    return this.report();
  }
}
