// Where a `node --cpu-prof` profile says the time went: self time by area (package, service
// code, Node internals, GC) and by function, as shares of the busy (non-idle) time.

/** The area a call frame's script belongs to. */
export function areaOf(url, functionName) {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)' || functionName === '(root)') return 'native/runtime';
  if (!url) return 'native/runtime';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/(packages\/[^/]+|[a-z-]+-service|api-gateway)\/(?:dist|src)\//.exec(url);
  if (own) return own[1];
  return url.replace(/^file:\/\//, '');
}

/**
 * @param {{nodes: {id:number, callFrame:{functionName:string, url:string, lineNumber:number}}[], samples:number[], timeDeltas:number[], startTime:number, endTime:number}} profile
 * @param {{top?: number, fromUs?: number, toUs?: number}} [opts] rows kept per table, and the
 *   window to count (profile clock: CLOCK_MONOTONIC µs, as `process.hrtime.bigint() / 1000n`),
 *   e.g. the load run without the process's start-up and shutdown
 */
export function summarizeCpuProfile(profile, { top = 15, fromUs = -Infinity, toUs = Infinity } = {}) {
  // Each sample stands for the time until the next one.
  const selfUs = new Map();
  let t = profile.startTime;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const dt = i + 1 < profile.samples.length ? profile.timeDeltas[i + 1] : profile.endTime - t;
    if (t < fromUs || t > toUs) continue;
    first = Math.min(first, t);
    last = Math.max(last, t + dt);
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
  }
  const byArea = new Map();
  const byFunction = new Map();
  let busyUs = 0;
  let idleUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    if (area === 'idle') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const file = url ? url.replace(/^.*\/(node_modules\/|packages\/|[a-z-]+-service\/|api-gateway\/)/, '$1') : '';
    const key = `${functionName || '(anonymous)'} ${file}${file ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const rows = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 1000),
        pct: busyUs ? Math.round((1000 * us) / busyUs) / 10 : 0,
      }));
  return {
    wallSeconds: last > first ? (last - first) / 1e6 : 0,
    busySeconds: busyUs / 1e6,
    idleSeconds: idleUs / 1e6,
    areas: rows(byArea),
    functions: rows(byFunction),
  };
}
