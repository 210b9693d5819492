// Preloaded into a chat node (`BENCH_CHAT_NODE_FLAGS="--import <this file>"` with bench/run.mjs
// or bench/send-cost.mjs): every 50 ms it looks at each engine.io socket's output — packets
// waiting in its write buffer, whether its transport is writable, what its websocket holds unsent
// (ws's bufferedAmount, which includes what its Node socket holds: tcpBufferedBytes, shown apart,
// not to be added) — and appends a one-second summary, with the event loop's delay, as a JSON
// line (with the pid: several nodes may share the file) to $OUTPUT_PROBE_FILE. It answers "is
// output queued in the server's socket buffers?" without a heap snapshot (the kernel's send
// queue is not seen): engine.io's Socket is patched to register itself when it opens.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const SAMPLE_MS = 50;
const SUMMARY_MS = 1000;

const file = process.env.OUTPUT_PROBE_FILE ?? `/tmp/output-probe-${process.pid}.jsonl`;
// The service's own engine.io (resolved from its entry script), not one next to this file.
const { Socket } = createRequire(process.argv[1])('engine.io');
const sockets = new Set();
const onOpen = Socket.prototype.onOpen;
Socket.prototype.onOpen = function (...args) {
  sockets.add(this);
  this.once('close', () => sockets.delete(this));
  return onOpen.apply(this, args);
};

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const empty = () => ({
  samples: 0,
  sockets: 0,
  packets: 0,
  packetsMax: 0,
  notWritable: 0,
  wsBytes: 0,
  tcpBytes: 0,
  tcpMax: 0,
});
let sum = empty();

setInterval(() => {
  sum.samples++;
  sum.sockets += sockets.size;
  for (const socket of sockets) {
    const packets = socket.writeBuffer.length;
    sum.packets += packets;
    sum.packetsMax = Math.max(sum.packetsMax, packets);
    if (!socket.transport?.writable) sum.notWritable++;
    const ws = socket.transport?.socket;
    sum.wsBytes += ws?.bufferedAmount ?? 0;
    const tcp = ws?._socket?.writableLength ?? 0;
    sum.tcpBytes += tcp;
    sum.tcpMax = Math.max(sum.tcpMax, tcp);
  }
}, SAMPLE_MS).unref();

setInterval(() => {
  const n = sum.samples || 1;
  const line = {
    atMs: Date.now(),
    pid: process.pid,
    sockets: sum.sockets / n,
    // Means over the samples, summed over sockets; maxima of one socket.
    writeBufferPackets: sum.packets / n,
    writeBufferPacketsMax: sum.packetsMax,
    notWritableSockets: sum.notWritable / n,
    websocketBufferedBytes: sum.wsBytes / n,
    tcpBufferedBytes: sum.tcpBytes / n,
    tcpBufferedBytesMax: sum.tcpMax,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
  };
  appendFileSync(file, JSON.stringify(line) + '\n');
  loopDelay.reset();
  sum = empty();
}, SUMMARY_MS).unref();
