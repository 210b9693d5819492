// One --idle --workers child of socket_test.js: given the parent's tokens and a range of
// clients ('init'), it connects them on 'go', holds them for --duration, closes them, and
// reports ('ready', 'connected', 'done').
import { LoadRun } from './load-run.js';

let run;
let range;
process.on('message', async (m) => {
  if (m.type === 'init') {
    run = new LoadRun(m.opts);
    run.tokens = m.tokens;
    range = [m.from, m.to];
    run.loopDelay.enable();
    process.send({ type: 'ready' });
  } else if (m.type === 'go') {
    await run.connectAll(...range);
    process.send({ type: 'connected', stats: run.workerStats() });
    await run.waitFor(() => false, run.opts.duration * 1000, 100);
    run.closeAll();
    process.send({ type: 'done', stats: run.workerStats() }, () => process.exit(0));
  }
});
