import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ShutdownRegistry } from '../src/shutdown.js';

const log = pino({ level: 'silent' });

describe('ShutdownRegistry', () => {
  it('runs steps once, in order, even when one fails', async () => {
    const order: string[] = [];
    const reg = new ShutdownRegistry(log, 1000)
      .add('stop accepting', () => void order.push('stop'))
      .add('flaky', () => {
        order.push('flaky');
        throw new Error('boom');
      })
      .add('close', async () => {
        await new Promise((r) => setTimeout(r, 10));
        order.push('close');
      });
    expect(reg.isShuttingDown).toBe(false);
    await Promise.all([reg.run('test'), reg.run('again')]);
    expect(reg.isShuttingDown).toBe(true);
    expect(order).toEqual(['stop', 'flaky', 'close']);
  });

  it('gives up after its time bound', async () => {
    const reg = new ShutdownRegistry(log, 50).add('hangs', () => new Promise(() => undefined));
    const started = Date.now();
    await reg.run('test');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
