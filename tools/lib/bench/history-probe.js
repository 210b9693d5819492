// The queries message-service makes for a history page (message-store.ts findPage), timed one
// at a time straight against MongoDB/FerretDB on the seeded dataset, so the database's share
// of an uncached page is seen without the service and the gateway around it.
import { performance } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { roomSizes, seedRoomId } from './seed.js';

const PAGE = 50;

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null;
}

export function summarizeMs(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x) => (x === null ? null : Math.round(x * 10) / 10);
  return { count: s.length, p50: r(percentile(s, 50)), p99: r(percentile(s, 99)), max: r(s.at(-1) ?? null) };
}

/** The room of each size class of the seed: the largest, and a typical one. */
export function probeRooms(params) {
  const sizes = roomSizes(params);
  const big = sizes.indexOf(Math.max(...sizes));
  const typical = sizes.length - 1;
  return [
    { roomId: seedRoomId(big), messages: sizes[big] },
    { roomId: seedRoomId(typical), messages: sizes[typical] },
  ];
}

/**
 * `rounds` pages per room (newest page, then `before=` random cursors), and as many
 * `{roomId}`-only existence checks: p50/p99/max ms per room and query.
 */
export async function probeHistoryQueries({ mongoUrl, dbName, params, rounds = 20 }) {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  try {
    const messages = client.db(dbName).collection('messages');
    const out = [];
    for (const room of probeRooms(params)) {
      const page = (filter, sort) =>
        messages
          .find(filter, { projection: { _id: 0 } })
          .sort(sort)
          .limit(PAGE + 1)
          .toArray();
      const timed = async (fn) => {
        const t = performance.now();
        await fn();
        return performance.now() - t;
      };
      const newest = [];
      const before = [];
      for (let i = 0; i < rounds; i++) {
        newest.push(await timed(() => page({ roomId: room.roomId }, { seq: -1 })));
        const cursor = PAGE + 1 + Math.floor(Math.random() * Math.max(1, room.messages - PAGE));
        before.push(await timed(() => page({ roomId: room.roomId, seq: { $lt: cursor } }, { seq: -1 })));
      }
      out.push({ ...room, newestPageMs: summarizeMs(newest), beforeCursorPageMs: summarizeMs(before) });
    }
    return out;
  } finally {
    await client.close();
  }
}
