import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTION_SPECS, parseOptions, UsageError } from '../lib/options.js';
import { startFakeStack } from './fake-stack.js';
import { runScript } from './run-script.js';

/** The parts of the JSON report these tests read. */
interface RunReport {
  connections: { reconnects: number };
  messages: { sent: number; acked: number };
  deliveries: { expected: number; received: number; lost: number; duplicates: number; latencyMs: { p99: number } };
  persistence: { persisted: number; missing: number; duplicated: number };
  verdict: { ok: boolean };
}

describe('options', () => {
  it('--help lists every option with its default and exits 0', async () => {
    const r = await runScript(['--help']);
    expect(r.code).toBe(0);
    for (const spec of OPTION_SPECS) expect(r.stdout).toContain(`--${spec.name}`);
    expect(r.stdout).toContain('(default: http://localhost:3000)');
    expect(r.stdout).toContain('--chat-urls');
  });

  it('a bad option exits 2 with a clear message and no report', async () => {
    const r = await runScript(['--users', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('socket_test: --users: must be at least 1 (got "0")\n');
    expect(r.stdout).toBe('');
  });

  it.each([
    [['--rate', 'fast'], '--rate: must be a number'],
    [['--bogus'], 'unknown option --bogus'],
    [['--duration'], '--duration needs a value'],
    [['--url', 'ftp://host'], '--url: must be an http(s) URL'],
    [['--rooms', '2', '--rooms-per-user', '3'], '--rooms-per-user (3) must not exceed --rooms (2)'],
    [['--user-prefix', 'Bad Name'], '--user-prefix'],
    [['--idle=yes'], '--idle takes no value'],
    [['--workers', '2'], '--workers needs --idle'],
    [['stray'], 'unexpected argument "stray"'],
  ])('%j is refused: %s', (args, message) => {
    expect(() => parseOptions(args)).toThrow(UsageError);
    expect(() => parseOptions(args)).toThrow(message);
  });

  it('parses both --name value and --name=value, and fills derived defaults', () => {
    const o = parseOptions(['--users=10', '--rate', '250.5', '--chat-urls', 'http://a:3003/,http://b:3004', '--idle']);
    expect(o).toMatchObject({
      users: 10,
      accounts: 10,
      rate: 250.5,
      chatUrls: ['http://a:3003', 'http://b:3004'],
      idle: true,
    });
    // Accounts are the same from run to run (reused); rooms are new each run.
    expect(o.userPrefix).toBe('loadtest_');
    expect(o.roomPrefix).toMatch(/^lt-[a-z0-9]+$/);
    expect(o.accountsFile).toMatch(/chat-socket-test\/accounts\.json$/);
    expect(parseOptions(['--accounts-file', 'none']).accountsFile).toBeNull();
    expect(() => parseOptions(['--accounts', '5', '--users', '2'])).toThrow(UsageError);
  });
});

describe('against an in-memory fake of the public API', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'socket-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (faults: Parameters<typeof startFakeStack>[0]) => {
    const stack = await startFakeStack(faults);
    try {
      const json = join(dir, `${Math.random()}.json`);
      const r = await runScript([
        ...['--url', stack.url, '--users', '6', '--rooms', '2', '--rate', '100', '--duration', '1', '--ramp', '0.2'],
        ...['--delivery-timeout', '1', '--persist-timeout', '2', '--json', json],
      ]);
      return { ...r, report: JSON.parse(await readFile(json, 'utf8')) as RunReport };
    } finally {
      await stack.close();
    }
  };

  it('a clean run exits 0 and reports every delivery and stored message', async () => {
    const { code, stdout, report } = await run({});
    expect(code).toBe(0);
    expect(stdout).toContain('RESULT      PASS');
    expect(report.messages.acked).toBe(report.messages.sent);
    expect(report.messages.sent).toBeGreaterThan(90);
    expect(report.deliveries).toMatchObject({ lost: 0, duplicates: 0, expected: report.messages.acked * 3 });
    expect(report.deliveries.received).toBe(report.deliveries.expected);
    expect(report.persistence).toMatchObject({ persisted: report.messages.acked, missing: 0, duplicated: 0 });
    expect(report.deliveries.latencyMs.p99).toBeGreaterThan(0);
  });

  it('exits 1 when deliveries are lost or messages stored twice', async () => {
    const { code, stdout, report } = await run({ dropDeliveryEvery: 10, storeTwiceEvery: 25 });
    expect(code).toBe(1);
    expect(stdout).toContain('RESULT      FAIL');
    expect(report.deliveries.lost).toBeGreaterThan(0);
    expect(report.persistence.duplicated).toBeGreaterThan(0);
    expect(report.verdict.ok).toBe(false);
  });

  it('after the server drops every socket mid-run, clients reconnect, resync and lose nothing', async () => {
    const { code, stdout, report } = await run({ disconnectAllAfter: 40 });
    expect(code, stdout).toBe(0);
    expect(report.connections.reconnects).toBeGreaterThanOrEqual(6);
    expect(report.deliveries).toMatchObject({ lost: 0, duplicates: 0 });
    expect(report.deliveries.received).toBe(report.deliveries.expected);
    expect(report.messages.acked).toBe(report.messages.sent);
  });

  it('--idle --workers: child processes connect and hold the clients; their figures are merged', async () => {
    const stack = await startFakeStack();
    try {
      const json = join(dir, 'idle.json');
      const r = await runScript([
        '--url',
        stack.url,
        '--idle',
        '--workers',
        '2',
        '--users',
        '7',
        '--accounts',
        '3',
        '--duration',
        '0.5',
        '--json',
        json,
      ]);
      expect(r.code, r.stdout).toBe(0);
      const report = JSON.parse(await readFile(json, 'utf8')) as {
        connections: { connected: number; failed: number; connectMs: { count: number } };
      };
      expect(report.connections).toMatchObject({ connected: 7, failed: 0, connectMs: { count: 7 } });
      expect(r.stdout).toContain('held 0.5 s by 2 worker processes');
    } finally {
      await stack.close();
    }
  });

  it('connect failures beyond the threshold fail the run', async () => {
    const stack = await startFakeStack();
    try {
      // The chat URL points at a closed port: every socket fails to connect.
      const r = await runScript([
        '--url',
        stack.url,
        '--chat-urls',
        'http://127.0.0.1:9',
        '--users',
        '2',
        '--connect-timeout',
        '0.5',
        '--duration',
        '0.5',
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('2 connection failures (threshold 0)');
    } finally {
      await stack.close();
    }
  });
});
