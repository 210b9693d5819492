import { describe, expect, it } from 'vitest';
import { areaOf, summarizeCpuProfile } from '../lib/bench/cpu-profile.js';

const frame = (id: number, functionName: string, url: string) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
});

describe('cpu profile summary', () => {
  it('names the area of a frame: packages, service code, node internals, GC', () => {
    expect(areaOf('file:///w/node_modules/@socket.io/redis-adapter/dist/index.js', 'f')).toBe(
      '@socket.io/redis-adapter',
    );
    expect(areaOf('file:///w/node_modules/ioredis/built/Redis.js', 'f')).toBe('ioredis');
    expect(areaOf('file:///w/chat-service/dist/message-handlers.js', 'f')).toBe('chat-service');
    expect(areaOf('file:///w/packages/service-kit/dist/amqp.js', 'f')).toBe('packages/service-kit');
    expect(areaOf('node:internal/stream_base_commons', 'writeGeneric')).toBe('node internals');
    expect(areaOf('', '(garbage collector)')).toBe('GC');
  });

  // Samples 1 ms apart: 50 idle, 30 in socket.io-parser, 10 in chat-service, 10 in GC.
  const ids = [
    ...Array<number>(50).fill(2),
    ...Array<number>(30).fill(3),
    ...Array<number>(10).fill(4),
    ...Array<number>(10).fill(5),
  ];
  const profile = {
    nodes: [
      frame(1, '(root)', ''),
      frame(2, '(idle)', ''),
      frame(3, 'encode', 'file:///w/node_modules/socket.io-parser/build/index.js'),
      frame(4, 'sendMessage', 'file:///w/chat-service/dist/message-handlers.js'),
      frame(5, '(garbage collector)', ''),
    ],
    samples: ids,
    timeDeltas: ids.map(() => 1000),
    startTime: 0,
    endTime: 101_000,
  };

  it('shares busy time by area and function, leaving idle out', () => {
    const s = summarizeCpuProfile(profile);
    expect(s.busySeconds).toBeCloseTo(0.05);
    expect(s.idleSeconds).toBeCloseTo(0.05);
    expect(s.areas).toEqual([
      { name: 'socket.io-parser', ms: 30, pct: 60 },
      { name: 'chat-service', ms: 10, pct: 20 },
      { name: 'GC', ms: 10, pct: 20 },
    ]);
    expect(s.functions[0]).toEqual({ name: 'encode node_modules/socket.io-parser/build/index.js:10', ms: 30, pct: 60 });
  });

  it('counts only the samples inside the window', () => {
    // Samples at 51..80 ms are the parser's; 81..90 chat-service.
    const s = summarizeCpuProfile(profile, { fromUs: 61_000, toUs: 85_000 });
    expect(s.areas).toEqual([
      { name: 'socket.io-parser', ms: 20, pct: 80 },
      { name: 'chat-service', ms: 5, pct: 20 },
    ]);
    expect(s.wallSeconds).toBeCloseTo(0.025);
  });
});

describe('redis usage by kind of key', () => {
  it('groups per-message keys as one kind, whatever the message id, and room keys by their ending', async () => {
    const { kindOf } = await import('../lib/bench/redis-usage.js');
    expect(kindOf('room:dm:aa:bb:msg:123e4567-e89b-52d3-a456-426614174000')).toBe('msg');
    expect(kindOf('room:general:msg:123e4567-e89b-52d3-a456-426614174000:lock')).toBe('msg-lock');
    expect(kindOf('room:dm:aa:bb:recent')).toBe('recent');
    expect(kindOf('room:general:stored-max')).toBe('stored-max');
    expect(kindOf('sent:123e4567')).toBe('sent');
  });
});
