// Preloaded into a benchmarked service (`node --import <this file> dist/main.js`, see
// startStack's `heapLog`): appends to $BENCH_HEAP_LOG, every HEAP_LOG_INTERVAL_MS, one JSON
// line of running totals — bytes the heap allocated, bytes scavenges promoted to the old
// generation (what outlived two of them: what later mark-compacts must trace), GC main-thread
// time and count, CPU time —
// with the wall-clock time, so a benchmark can count them over one phase of its load
// (heapBetween). Allocation is not counted by V8 as such; it is the heap's growth between GCs
// (each GC's used size before it, less the used size after the previous one), from v8.GCProfiler.
// With $BENCH_HEAP_PROFILE set, SIGUSR2 starts V8's sampling heap profiler over every object
// allocated (collected ones included, so it shows what is allocated, not what is kept; with
// $BENCH_HEAP_PROFILE_PROMOTED=1 only what no scavenge collected: what was promoted, freed by
// a mark-compact since or not) and a second SIGUSR2 writes the profile there
// ($BENCH_HEAP_PROFILE_INTERVAL bytes per sample, 32768).
import { appendFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import v8 from 'node:v8';

const HEAP_LOG_INTERVAL_MS = 250;

if (process.env.BENCH_HEAP_LOG) {
  const file = process.env.BENCH_HEAP_LOG;
  const totals = { allocatedBytes: 0, promotedBytes: 0, gcUs: 0, scavenges: 0, markCompacts: 0 };
  let lastUsed = v8.getHeapStatistics().used_heap_size;
  let profiler = new v8.GCProfiler();
  profiler.start();
  const tick = () => {
    const { statistics } = profiler.stop();
    profiler = new v8.GCProfiler();
    profiler.start();
    for (const gc of statistics) {
      totals.allocatedBytes += gc.beforeGC.heapStatistics.usedHeapSize - lastUsed;
      lastUsed = gc.afterGC.heapStatistics.usedHeapSize;
      totals.gcUs += gc.cost;
      if (gc.gcType === 'Scavenge') {
        totals.scavenges++;
        totals.promotedBytes += oldGenerationBytes(gc.afterGC) - oldGenerationBytes(gc.beforeGC);
      } else if (gc.gcType === 'MarkSweepCompact') totals.markCompacts++;
    }
    const used = v8.getHeapStatistics().used_heap_size;
    totals.allocatedBytes += used - lastUsed;
    lastUsed = used;
    const cpu = process.cpuUsage();
    appendFileSync(file, JSON.stringify({ atMs: Date.now(), ...totals, cpuUs: cpu.user + cpu.system }) + '\n');
  };
  tick();
  setInterval(tick, HEAP_LOG_INTERVAL_MS).unref();
}

function oldGenerationBytes({ heapSpaceStatistics }) {
  let bytes = 0;
  for (const space of heapSpaceStatistics)
    if (space.spaceName === 'old_space' || space.spaceName === 'large_object_space') bytes += space.spaceUsedSize;
  return bytes;
}

if (process.env.BENCH_HEAP_PROFILE) {
  const file = process.env.BENCH_HEAP_PROFILE;
  const samplingInterval = Number(process.env.BENCH_HEAP_PROFILE_INTERVAL ?? 32768);
  const promotedOnly = process.env.BENCH_HEAP_PROFILE_PROMOTED === '1';
  const session = new Session();
  session.connect();
  let sampling = false;
  process.on('SIGUSR2', () => {
    if (!sampling) {
      sampling = true;
      session.post('HeapProfiler.startSampling', {
        samplingInterval,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: !promotedOnly,
      });
      return;
    }
    sampling = false;
    session.post('HeapProfiler.stopSampling', (err, result) => {
      writeFileSync(file, JSON.stringify(err ? { error: err.message } : result.profile));
    });
  });
}
