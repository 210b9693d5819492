import { useIsolation } from '@chat/testing';
import { expect, it } from 'vitest';
import { expectEverySendStoredOnce, runFaultScenario } from './fault-scenario.js';

// Its own vhost on the shared broker (RabbitMQ is not restarted here); Redis is private.
const iso = useIsolation('fault node kill');

it('a chat node killed with SIGKILL mid-stream: its clients reconnect to the other node and resend; every acked message is stored exactly once, no seq reused', async () => {
  const { report, why } = await runFaultScenario({
    faults: ['kill -9 chat-service-1'],
    downMs: 2000,
    broker: { amqpUrl: iso().amqpUrl, vhost: iso().vhost, management: iso().rabbit },
  });
  expectEverySendStoredOnce(report, why);
  expect(report.load.reconnects, why).toBeGreaterThan(0);
  expect(report.load.notShownAfterResync, why).toBe(0);
}, 120_000);
