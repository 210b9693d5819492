import { fileURLToPath } from 'node:url';
import * as testing from '@chat/testing';
import { expect, inject, it } from 'vitest';
import { runFaults } from '../lib/fault/run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Its own vhost on the shared broker (RabbitMQ is not restarted here); Redis is private.
const iso = testing.useIsolation('fault node kill');

it('a chat node killed with SIGKILL mid-stream: its clients reconnect to the other node and resend; every acked message is stored exactly once, no seq reused', async () => {
  const lines: string[] = [];
  const report = await runFaults({
    root: ROOT,
    testing,
    mongoUrl: inject('services').mongoUrl,
    entry: 'src',
    broker: { amqpUrl: iso().amqpUrl, vhost: iso().vhost, management: iso().rabbit },
    faults: ['kill -9 chat-service-1'],
    rate: 40,
    clients: 6,
    rooms: 2,
    roomsPerClient: 2,
    pauseMs: 4000,
    downMs: 2000,
    drainMs: 20_000,
    log: (line) => lines.push(line),
    onStack: () => undefined,
  });
  const why = `${JSON.stringify(report, null, 1)}\n${lines.join('\n')}`;
  expect(report.failed, why).toEqual([]);
  expect(report.load.reconnects, why).toBeGreaterThan(0);
  expect(report.load.unackedAtEnd, why).toBe(0);
  expect(report.load.refused, why).toEqual({});
  expect(report.acked, why).toBe(report.load.sent);
  expect(report.stored, why).toBe(report.load.sent);
  expect(report.storedViaHistory, why).toBe(report.load.sent);
  expect(report.load.notShownAfterResync, why).toBe(0);
}, 120_000);
