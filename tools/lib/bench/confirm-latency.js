// RabbitMQ publisher-confirm latency for one persistent message on a quorum queue, with and
// without Nagle's algorithm on the client socket (amqplib `noDelay`), so the time a send spends
// waiting for its confirm can be attributed.
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { runSchedule } from '../scheduler.js';
import { newHistogram, summarizeHistogram } from '../tracker.js';

/**
 * Publish `count` messages to a fresh quorum queue in the vhost of `amqpUrl`, after `warmup`
 * unmeasured ones. Without `ratePerSec` each publish waits for the previous confirm (a lone
 * sender); with it they are paced at that rate with confirms outstanding, as a busy chat node
 * publishes (where Nagle's algorithm bites). Returns confirm latency percentiles in ms.
 */
export async function measureConfirmLatency({ amqpUrl, noDelay, count = 1000, warmup = 50, size = 200, ratePerSec }) {
  const conn = await amqp.connect(amqpUrl, { noDelay });
  try {
    const ch = await conn.createConfirmChannel();
    const queue = `bench.confirm.${noDelay ? 'nodelay' : 'nagle'}.${process.pid}`;
    await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const body = Buffer.alloc(size, 'x');
    const hist = newHistogram();
    const publishOne = (record) =>
      new Promise((resolve, reject) => {
        const start = performance.now();
        ch.sendToQueue(queue, body, { persistent: true, contentType: 'application/json' }, (err) => {
          if (err) return reject(err);
          if (record) hist.recordValue(Math.max(1, Math.round((performance.now() - start) * 1000)));
          resolve();
        });
      });
    for (let i = 0; i < warmup; i++) await publishOne(false);
    const t0 = performance.now();
    if (ratePerSec) {
      const pending = [];
      const schedule = runSchedule({
        rate: ratePerSec,
        rampMs: 0,
        durationMs: (count / ratePerSec) * 1000,
        now: () => performance.now(),
        send: () => pending.push(publishOne(true)),
      });
      await schedule.done;
      await Promise.all(pending);
    } else {
      for (let i = 0; i < count; i++) await publishOne(true);
    }
    const seconds = (performance.now() - t0) / 1000;
    await ch.deleteQueue(queue);
    await ch.close();
    return {
      noDelay,
      mode: `${size} B, ${ratePerSec ? `paced ${ratePerSec}/s` : 'sequential'}`,
      ...summarizeHistogram(hist),
      perSec: hist.totalCount / seconds,
    };
  } finally {
    await conn.close().catch(() => undefined);
  }
}
