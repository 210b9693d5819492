#!/usr/bin/env node
// `{_id: {$in: ids}}` against one `{_id}` lookup per id, 8 in flight (service-kit findEachId),
// on the MongoDB or FerretDB at MONGO_URL: a `rooms` collection of --rooms documents shaped like
// message-service's room states, in a scratch database dropped afterwards. FerretDB 1.x reads
// the whole collection for an `$in`, so its cost follows the collection; the lookups' cost
// follows the ids. Prints one line per (ids, repetition) and the medians as JSON.
//
//   node bench/id-lookup-probe.mjs [--rooms 20000] [--ids 50,200,1000] [--reps 3]
import { MongoClient } from 'mongodb';
import { median } from '../tools/lib/bench/compare-runs.js';

const argv = process.argv.slice(2);
const opt = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const ROOMS = Number(opt('rooms', 20_000));
const IDS = opt('ids', '50,200,1000').split(',').map(Number);
const REPS = Number(opt('reps', 3));
const IN_FLIGHT = 8;

const client = await MongoClient.connect(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
const db = client.db(`probe_id_lookup_${process.pid}`);
try {
  const rooms = db.collection('rooms');
  const now = new Date();
  for (let from = 0; from < ROOMS; from += 1000) {
    await rooms.insertMany(
      Array.from({ length: Math.min(1000, ROOMS - from) }, (_, i) => ({
        _id: `room-${from + i}`,
        lastAt: now,
        lastSeq: 17,
        rev: 3,
        lastMessage: { id: 'm'.repeat(36), senderId: 'u1', senderName: 'someone', text: 'a short line', seq: 17 },
      })),
    );
  }
  const timed = async (fn) => {
    const start = performance.now();
    const found = await fn();
    return { ms: performance.now() - start, found: found.length };
  };
  const results = [];
  for (const count of IDS) {
    // Spread over the collection, as a user's rooms would be.
    const ids = Array.from({ length: count }, (_, i) => `room-${Math.floor((i * ROOMS) / count)}`);
    const inMs = [];
    const eachMs = [];
    for (let rep = 0; rep < REPS; rep++) {
      const viaIn = await timed(() => rooms.find({ _id: { $in: ids } }, { projection: { lastAt: 1 } }).toArray());
      const viaEach = await timed(async () => {
        const found = [];
        let next = 0;
        const worker = async () => {
          for (let i = next++; i < ids.length; i = next++) {
            const doc = await rooms.findOne({ _id: ids[i] }, { projection: { lastAt: 1 } });
            if (doc) found.push(doc);
          }
        };
        await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
        return found;
      });
      if (viaIn.found !== count || viaEach.found !== count)
        throw new Error(`found ${viaIn.found} / ${viaEach.found} of ${count}`);
      inMs.push(viaIn.ms);
      eachMs.push(viaEach.ms);
      console.log(
        `${ROOMS} rooms, ${count} ids: $in ${viaIn.ms.toFixed(1)} ms; one lookup each, ${IN_FLIGHT} in flight ${viaEach.ms.toFixed(1)} ms`,
      );
    }
    results.push({
      rooms: ROOMS,
      ids: count,
      inMedianMs: +median(inMs).toFixed(1),
      eachMedianMs: +median(eachMs).toFixed(1),
    });
  }
  console.log(
    JSON.stringify({ mongoUrl: (process.env.MONGO_URL ?? '').replace(/\/\/[^@]*@/, '//'), results }, null, 2),
  );
} finally {
  await db.dropDatabase();
  await client.close();
}
