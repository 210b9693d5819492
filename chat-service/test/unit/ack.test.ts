import { AppError } from '@chat/service-kit';
import { describe, expect, it } from 'vitest';
import { ACK_TIMING_SAMPLE, ackWith } from '../../src/socket/ack.js';
import { InFlight } from '../../src/socket/in-flight.js';
import { RefusalLog } from '../../src/socket/refusal-log.js';
import { Registry } from 'prom-client';
import { createChatMetrics } from '../../src/metrics.js';
import { capturingLogger } from '../log-capture.js';

function setup() {
  const { log, lines } = capturingLogger();
  const inFlight = new InFlight();
  const registry = new Registry();
  const ack = ackWith({
    log,
    refusals: new RefusalLog(log),
    inFlight,
    ackSeconds: createChatMetrics(registry).ackSeconds,
  });
  /** Runs one event through the wrapper and returns its ack. */
  const run = async (event: string, handle: () => Promise<unknown>, payload: unknown = {}) => {
    let answer: unknown;
    ack(event, handle)(payload, (res: unknown) => (answer = res));
    await inFlight.idle();
    return answer;
  };
  return { lines, run, registry };
}

const unavailable = (why: string) => () => Promise.reject(new AppError('UNAVAILABLE', why));

describe('ack timing', () => {
  it('times a sample of acks of each event, from the first, answered or refused', async () => {
    const { run, registry } = setup();
    await run('sendMessage', unavailable('broker down'));
    for (let i = 1; i < 2 * ACK_TIMING_SAMPLE + 1; i++) await run('sendMessage', () => Promise.resolve({ ok: true }));
    await run('joinRoom', () => Promise.resolve({ ok: true }));
    const text = await registry.metrics();
    expect(text).toMatch(/^chat_event_ack_seconds_count\{event="sendMessage"\} 3$/m);
    expect(text).toMatch(/^chat_event_ack_seconds_count\{event="joinRoom"\} 1$/m);
  });
});

describe('ack logging', () => {
  it('logs expected refusals at warn without a stack, once per change of reason, and one line when served again', async () => {
    const { lines, run } = setup();
    for (let i = 0; i < 100; i++) await run('sendMessage', unavailable('broker down'));
    for (let i = 0; i < 50; i++) await run('sendMessage', unavailable('no confirm in time'));
    expect(await run('sendMessage', () => Promise.resolve({ ok: true }))).toEqual({ ok: true });

    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns.map((l) => l.reason)).toEqual(['UNAVAILABLE: broker down', 'UNAVAILABLE: no confirm in time']);
    expect(warns[1]).toMatchObject({ previous: 'UNAVAILABLE: broker down', repeats: 99 });
    expect(JSON.stringify(warns)).not.toMatch(/stack/);
    expect(lines.filter((l) => l.level === 'info')).toMatchObject([{ topic: 'sendMessage', repeats: 49 }]);
  });

  it('keeps real faults as errors with their stack, answered INTERNAL without details', async () => {
    const { lines, run } = setup();
    const ack = await run('joinRoom', () => Promise.reject(new TypeError('cannot read x of undefined')));
    expect(ack).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect((errors[0]!.err as { stack: string }).stack).toMatch(/TypeError: cannot read x/);
  });

  it('does not log client mistakes', async () => {
    const { lines, run } = setup();
    await run('joinRoom', () => Promise.reject(new AppError('INVALID', 'roomId is required')));
    expect(lines).toEqual([]);
  });
});
