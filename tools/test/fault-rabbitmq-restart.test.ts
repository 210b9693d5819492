import { expect, it } from 'vitest';
import { expectEverySendStoredOnce, runFaultScenario } from './fault-scenario.js';

it('RabbitMQ stopped and started mid-stream (a private node): sends during the outage are refused with UNAVAILABLE and succeed on resend; every acked message is stored once', async () => {
  const { report, why } = await runFaultScenario({ faults: ['restart RabbitMQ'] });
  expectEverySendStoredOnce(report, why);
  expect(report.load.errorAnswers.UNAVAILABLE, why).toBeGreaterThan(0);
}, 120_000);
