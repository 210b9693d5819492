#!/usr/bin/env node
// What one write costs the database's own processes: CPU of the processes named --procs
// (default FerretDB and PostgreSQL, read from /proc, so Linux and the same machine only) per
// room-state write (membership-store.ts recordActivity: a findOneAndUpdate until 2026-12-02,
// an updateOne making the same change since) and
// per message stored in an insertMany of --batch (with message-model.ts's indexes, and without
// any), in a scratch database dropped afterwards. Run it on
// an otherwise idle stack: other work on those processes counts too. No bulkWrite: FerretDB 1.x
// holds a pool connection per statement of one and hangs with ~50 (message-store.ts).
//
//   node bench/ferretdb-write-cost.mjs [--writes 500] [--batch 30] [--batches 80] [--procs ferretdb,postgres]
import { readdirSync, readFileSync } from 'node:fs';
import { MongoClient } from 'mongodb';

const argv = process.argv.slice(2);
const opt = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const WRITES = Number(opt('writes', 500));
const BATCH = Number(opt('batch', 30));
const BATCHES = Number(opt('batches', 80));
const PROCS = opt('procs', 'ferretdb,postgres').split(',');
const ROOMS = 50;
/** /proc/<pid>/stat counts in clock ticks: 100 a second on Linux. */
const MS_PER_TICK = 10;

/** CPU ms so far of every process whose name starts with one of PROCS, per name. */
function cpuMs() {
  const total = Object.fromEntries(PROCS.map((p) => [p, 0]));
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const name = PROCS.find((p) => comm.startsWith(p));
      if (!name) continue;
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop().trim().split(' ');
      total[name] += (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return total;
}

/** CPU ms per operation of each of PROCS over `count` calls of `fn`, and the wall time. */
async function measure(name, count, perCall, fn) {
  const before = cpuMs();
  const start = performance.now();
  for (let k = 0; k < count; k++) await fn(k);
  const wallMs = (performance.now() - start) / count;
  const after = cpuMs();
  const per = Object.fromEntries(PROCS.map((p) => [p, (after[p] - before[p]) / count / perCall]));
  const row = { name, ...per, totalMs: PROCS.reduce((n, p) => n + per[p], 0), wallMsPerCall: wallMs };
  console.error(
    `${name.padEnd(46)} ${PROCS.map((p) => `${p} ${per[p].toFixed(3)}`).join(' + ')} ms per op, wall ${wallMs.toFixed(2)} ms per call`,
  );
  return row;
}

let seq = 2;
const message = (room, s) => ({
  id: 'm'.repeat(36),
  roomId: `room-${room}`,
  seq: s,
  version: s,
  senderId: 'u'.repeat(24),
  senderName: 'someone',
  text: 'hello world '.repeat(5),
  clientMsgId: 'c'.repeat(20),
  createdAt: new Date().toISOString(),
});

const client = await MongoClient.connect(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
const db = client.db(`probe_write_cost_${process.pid}`);
const results = [];
try {
  const rooms = db.collection('rooms');
  await rooms.insertMany(
    Array.from({ length: ROOMS }, (_, i) => ({
      _id: `room-${i}`,
      lastMessage: message(i, 1),
      lastMessageSeq: 1,
      lastMessageVersion: 1,
      lastSeq: 1,
      rev: 1,
      lastAt: new Date(),
    })),
  );
  // The consumer's conditional write, as in recordActivity; both commands make this same change.
  const roomStateChange = (k) => {
    const s = seq++;
    const room = k % ROOMS;
    return [
      {
        _id: `room-${room}`,
        $or: [{ lastMessageSeq: { $lt: s } }, { lastMessageSeq: s, lastMessageVersion: { $lt: s } }],
      },
      {
        $set: { lastMessage: message(room, s), lastMessageSeq: s, lastMessageVersion: s, lastAt: new Date() },
        $max: { lastSeq: s },
        $inc: { rev: 1 },
      },
    ];
  };
  results.push(
    await measure('room state: findOneAndUpdate, returns the doc', WRITES, 1, async (k) => {
      const [filter, update] = roomStateChange(k);
      await rooms.findOneAndUpdate(filter, update, { returnDocument: 'after' });
    }),
  );
  results.push(
    await measure('room state: updateOne, the same change', WRITES, 1, async (k) => {
      const [filter, update] = roomStateChange(k);
      await rooms.updateOne(filter, update);
    }),
  );
  for (const [name, indexes] of [
    ['message in an insertMany, no index', []],
    [
      "message in an insertMany, message-model.ts's indexes",
      [
        [{ roomId: 1, senderId: 1, clientMsgId: 1 }, { unique: true }],
        [{ roomId: 1, seq: 1 }, { unique: true }],
        [{ seqBlock: 1 }, {}],
        [{ roomId: 1, version: 1 }, {}],
        [{ attachmentIds: 1 }, {}],
      ],
    ],
  ]) {
    const messages = db.collection(`messages_${results.length}`);
    await messages.insertOne({ _id: 'first' });
    for (const [keys, options] of indexes) await messages.createIndex(keys, options);
    results.push(
      await measure(name, BATCHES, BATCH, async () => {
        const docs = Array.from({ length: BATCH }, (_, j) => {
          const s = seq++;
          return {
            _id: `m${s}`,
            ...message(j % ROOMS, s),
            clientMsgId: `c${s}`,
            seqBlock: `room-${j % ROOMS}:${Math.floor(s / 64)}`,
          };
        });
        await messages.insertMany(docs, { ordered: false });
      }),
    );
  }
} finally {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
}
console.log(JSON.stringify({ writes: WRITES, batch: BATCH, batches: BATCHES, procs: PROCS, results }, null, 2));
