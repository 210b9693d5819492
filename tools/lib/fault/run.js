// The fault run: load through the gateway while faults are injected one after another, then
// the drain, the read-back (MongoDB directly and the history API) and the tally.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fetchHistoryAfter, registerOrLogin } from '../http.js';
import { clientMsgId, roomId, roomsOfClient, username } from '../ids.js';
import { mapWithConcurrency } from '../pool.js';
import { FaultClient } from './client.js';
import { selectFaults } from './faults.js';
import { startFaultStack } from './stack.js';
import { failures, tallyFaultRun } from './tally.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK_MS = 50;
const ACK_TIMEOUT_MS = 8000;
/** MESSAGE_PERSIST_QUEUE and its dead-letter queue in packages/contracts/src/queue.ts (DESIGN.md §4.4). */
const PERSIST_QUEUE = 'message_persist_queue';
const PERSIST_DLQ = 'message_persist_queue.dlq';

/** Sends `rate` messages a second, round-robin over the clients and each client's rooms. */
function startLoad(clients, rate, runId) {
  const t0 = performance.now();
  let k = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; k < due; k++) {
      const client = clients[k % clients.length];
      const rooms = [...client.rooms.keys()];
      const round = Math.floor(k / clients.length);
      client.send(rooms[round % rooms.length], clientMsgId(runId, k), `fault run message ${k}`);
    }
  }, TICK_MS);
  let stoppedAt = null;
  return {
    stop: () => {
      clearInterval(timer);
      stoppedAt = performance.now();
    },
    sent: () => k,
    seconds: () => Math.round(((stoppedAt ?? performance.now()) - t0) / 100) / 10,
  };
}

/**
 * Which fault a message met: the first injected while it was unacked (sent, not yet acked), or
 * else the last injected before it was sent.
 */
function phaseOf(clients, faults, clientMsgId) {
  const t = clients.map((c) => c.timeline.get(clientMsgId)).find(Boolean);
  if (!t) return 'not sent by this run';
  const met = faults.find((f) => f.startedAt >= t.sentAt && f.startedAt <= (t.ackedAt ?? Infinity));
  if (met) return `in flight at ${met.name}`;
  const after = faults.findLast((f) => f.startedAt < t.sentAt);
  return after ? `sent during or after ${after.name}` : 'sent before the first fault';
}

/** Messages in a queue of the stack's vhost, or null when that cannot be read (no management API). */
async function queueDepth(stack, queue) {
  if (!stack.management) return null;
  return (await stack.management.queue(stack.vhost, queue).catch(() => null))?.messages ?? null;
}

async function until(cond, timeoutMs, intervalMs = 250) {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}

/**
 * @param {object} o
 * @param {string} o.root
 * @param {typeof import('@chat/testing')} o.testing
 * @param {string} o.mongoUrl
 * @param {number} o.rate messages a second
 * @param {number} o.clients
 * @param {number} o.rooms
 * @param {number} o.roomsPerClient
 * @param {number} o.pauseMs load between two faults
 * @param {number} o.downMs how long a killed process stays down
 * @param {number} o.drainMs bound of each wait at the end (acks, persistence)
 * @param {(line: string) => void} o.log
 * @param {(stack: object) => void} o.onStack told the stack before it starts (to stop it on an abort)
 * @param {string[]} [o.faults] names of the faults to inject (FAULTS), in its order; all by default
 * @param {'dist'|'src'} [o.entry] and
 * @param {object} [o.broker] as startFaultStack takes them
 */
export async function runFaults(o) {
  const plan = selectFaults(o.faults);
  const runId = randomBytes(4).toString('hex');
  const runStartedAt = performance.now();
  const seconds = (t) => Math.round((t - runStartedAt) / 100) / 10;
  const elapsed = () => seconds(performance.now());
  const log = (line) => o.log(`[${elapsed()}s] ${line}`);
  // Each client is its own user, within the contract's default limits but the send rate
  // (§4.1: 100 a minute per user), which this many messages from this few users exceeds.
  const perClientPerMin = Math.ceil((o.rate / o.clients) * 60);
  const stack = await startFaultStack({
    root: o.root,
    testing: o.testing,
    mongoUrl: o.mongoUrl,
    env: {
      SEND_RATE_LIMIT_PER_MIN: String(Math.max(100, perClientPerMin * 4)),
      REGISTER_MAX_PER_IP: String(o.clients * 2),
    },
    entry: o.entry,
    broker: o.broker,
    log,
    onStack: o.onStack,
  });
  const clients = [];
  let progress;
  try {
    log(`stack up at ${stack.url}; ${o.clients} users sign up and join`);
    const roomIds = Array.from({ length: o.rooms }, (_, j) => roomId(`fault-${runId}`, j));
    // A few at a time: each sign-up is a bcrypt hash on a machine the run already loads.
    const accounts = await mapWithConcurrency(o.clients, 4, (i) =>
      registerOrLogin(stack.url, username(`fault_${runId}_`, i), `fault-run-${runId}`),
    );
    accounts.forEach((account, i) =>
      clients.push(
        new FaultClient({
          index: i,
          url: stack.url,
          token: account.token,
          userId: account.user.id,
          rooms: roomsOfClient(i, o.rooms, o.roomsPerClient).map((j) => roomIds[j]),
          ackTimeoutMs: ACK_TIMEOUT_MS,
        }),
      ),
    );
    await Promise.all(clients.map((c) => c.start()));

    log(`load: ${o.rate} msg/s from ${o.clients} clients in ${o.rooms} rooms`);
    const load = startLoad(clients, o.rate, runId);
    const sum = (pick) => clients.reduce((n, c) => n + pick(c), 0);
    const pending = () => sum((c) => c.pending.size);
    progress = setInterval(
      () =>
        log(
          `sent ${load.sent()}, acked ${sum((c) => c.counts.acked)}, pending ${pending()}, retries ${sum((c) => c.counts.retries)}`,
        ),
      10_000,
    );
    const faults = [];
    await sleep(o.pauseMs);
    for (const fault of plan) {
      const startedAt = performance.now();
      log(`fault: ${fault.name}`);
      const detail = await fault.inject(stack, o.downMs);
      faults.push({
        name: fault.name,
        startedAt,
        seconds: Math.round((performance.now() - startedAt) / 100) / 10,
        ...detail,
      });
      log(`fault: ${fault.name} done; load continues`);
      await sleep(o.pauseMs);
    }
    load.stop();

    log(`load stopped after ${load.sent()} messages; waiting for the outstanding acks`);
    await until(() => pending() === 0, o.drainMs);
    clearInterval(progress);
    log('waiting for persistence');
    const acks = clients.flatMap((c) => c.acks);
    const messages = stack.mongo.collection('messages'); // message-service's collection
    const readStored = () =>
      messages.find({}, { projection: { _id: 0, roomId: 1, seq: 1, id: 1, clientMsgId: 1, senderId: 1 } }).toArray();
    // Done when every acked message is there, or when the queue is empty and nothing more arrives.
    let lastCount = -1;
    await until(
      async () => {
        const now = await readStored();
        const ids = new Set(now.map((m) => m.id));
        if (acks.every((a) => ids.has(a.id))) return true;
        const queued = await queueDepth(stack, PERSIST_QUEUE);
        const settled = queued === 0 && now.length === lastCount;
        lastCount = now.length;
        return settled;
      },
      o.drainMs,
      2000,
    );
    const stored = await readStored();
    const deadLettered = await queueDepth(stack, PERSIST_DLQ);
    // What each member missed live (a broadcast lost without a disconnect is never resynced by
    // itself); those clients resync once more, as a user reopening the room would.
    const notShownLive = sum((c) => c.notShown(stored));
    const behind = clients.filter((c) => c.notShown(stored) > 0);
    log(`${behind.length} clients were not shown everything; they rejoin with sinceSeq`);
    await Promise.all(behind.map((c) => c.resync().catch(() => c.counts.resyncErrors++)));
    const history = [];
    for (const rid of roomIds) history.push(...(await fetchHistoryAfter(stack.url, clients[0].token, rid, 0)));

    const tally = tallyFaultRun({
      acks,
      liveDuplicates: clients.flatMap((c) => c.liveDuplicates),
      seen: clients.flatMap((c) => c.shown),
      stored,
      history,
      phaseOf: (id) => phaseOf(clients, faults, id),
    });
    const merge = (pick) => {
      const out = {};
      for (const c of clients) for (const [k, v] of Object.entries(pick(c))) out[k] = (out[k] ?? 0) + v;
      return out;
    };
    return {
      tool: 'fault-run',
      runId,
      seconds: elapsed(),
      load: {
        clients: o.clients,
        rooms: o.rooms,
        rate: o.rate,
        sent: load.sent(),
        sendSeconds: load.seconds(),
        attempts: sum((c) => c.counts.attempts),
        retries: sum((c) => c.counts.retries),
        errorAnswers: merge((c) => c.errorAnswers),
        refused: merge((c) => c.refused),
        unackedAtEnd: pending(),
        reconnects: sum((c) => c.counts.reconnects),
        resyncErrors: sum((c) => c.counts.resyncErrors),
        // Messages of a member's rooms sent after it joined that it was not shown: live and
        // through its reconnects' resyncs, and still after one more resync.
        notShownLive,
        notShownAfterResync: sum((c) => c.notShown(stored)),
      },
      deadLettered,
      faults: faults.map(({ startedAt, ...f }) => ({ ...f, atSecond: seconds(startedAt) })),
      ...tally,
      failed: failures(tally),
    };
  } finally {
    clearInterval(progress);
    for (const c of clients) c.close();
    log('stopping the stack');
    await stack.close();
  }
}
