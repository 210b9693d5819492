import { fileURLToPath } from 'node:url';
import * as testing from '@chat/testing';
import { expect, inject, it } from 'vitest';
import { runFaults } from '../lib/fault/run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

it('RabbitMQ stopped and started mid-stream (a private node): sends during the outage are refused with UNAVAILABLE and succeed on resend; every acked message is stored once', async () => {
  const lines: string[] = [];
  const report = await runFaults({
    root: ROOT,
    testing,
    mongoUrl: inject('services').mongoUrl,
    entry: 'src',
    faults: ['restart RabbitMQ'],
    rate: 40,
    clients: 6,
    rooms: 2,
    roomsPerClient: 2,
    pauseMs: 3000,
    downMs: 0,
    drainMs: 20_000,
    log: (line) => lines.push(line),
    onStack: () => undefined,
  });
  const why = `${JSON.stringify(report, null, 1)}\n${lines.join('\n')}`;
  expect(report.failed, why).toEqual([]);
  expect(report.load.errorAnswers.UNAVAILABLE, why).toBeGreaterThan(0);
  expect(report.load.refused, why).toEqual({});
  expect(report.load.unackedAtEnd, why).toBe(0);
  expect(report.acked, why).toBe(report.load.sent);
  expect(report.stored, why).toBe(report.load.sent);
  expect(report.storedViaHistory, why).toBe(report.load.sent);
}, 120_000);
