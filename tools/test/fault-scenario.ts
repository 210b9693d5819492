import { fileURLToPath } from 'node:url';
import * as testing from '@chat/testing';
import { expect, inject, onTestFinished } from 'vitest';
import { runFaults, type FaultRunReport } from '../lib/fault/run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The fault run at test scale — 40 msg/s from 6 users in 2 rooms, 3 s of load before and after
 * the fault — on the services' own entry points (src/main.ts under tsx). Returns the report and,
 * for failure messages, the report and the run's log.
 */
export async function runFaultScenario(
  opts: Pick<Parameters<typeof runFaults>[0], 'faults' | 'broker'> & { downMs?: number },
): Promise<{ report: FaultRunReport; why: string }> {
  const lines: string[] = [];
  const report = await runFaults({
    root: ROOT,
    testing,
    mongoUrl: inject('services').mongoUrl,
    entry: 'src',
    rate: 40,
    clients: 6,
    rooms: 2,
    roomsPerClient: 2,
    pauseMs: 3000,
    downMs: opts.downMs ?? 0,
    drainMs: 20_000,
    log: (line) => lines.push(line),
    // A test that times out must not leave its servers and services running.
    onStack: (stack) => onTestFinished(() => (stack as { close(): Promise<void> }).close()),
    ...opts,
  });
  return { report, why: `${JSON.stringify(report, null, 1)}\n${lines.join('\n')}` };
}

/** What every scenario must show: every message sent was acked, stored once, and nothing failed. */
export function expectEverySendStoredOnce(report: FaultRunReport, why: string): void {
  expect(report.failed, why).toEqual([]);
  expect(report.load.refused, why).toEqual({});
  expect(report.load.unackedAtEnd, why).toBe(0);
  expect(report.acked, why).toBe(report.load.sent);
  expect(report.stored, why).toBe(report.load.sent);
  expect(report.storedViaHistory, why).toBe(report.load.sent);
}
