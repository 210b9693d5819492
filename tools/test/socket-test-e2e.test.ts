import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealStack, type RealStack } from './real-stack.js';
import { runScript } from './run-script.js';

/** The parts of the JSON report these tests read. */
interface RunReport {
  connections: { connected: number; failed: number };
  messages: { sent: number; acked: number; ackErrors: number };
  deliveries: {
    expected: number;
    received: number;
    lost: number;
    duplicates: number;
    latencyMs: { count: number; p99: number };
  };
  persistence: {
    acked: number;
    persisted: number;
    missing: number;
    duplicated: number;
    mismatched: number;
    completeAfterMs: number | null;
  };
  verdict: { ok: boolean; failures: string[] };
  side: {
    eventSlots: number;
    edits: SideEvents;
    reactions: SideEvents;
    typing: SideEvents;
    markRead: SideEvents;
    updatesReceived: number;
  } | null;
}
interface SideEvents {
  sent: number;
  ok: number;
  errorsByCode: Record<string, number>;
}

const iso = useIsolation('socket-test-e2e');
let stack: RealStack;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'socket-test-e2e-'));
  stack = await startRealStack(iso(), 2);
});
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; report: RunReport }> {
  const json = join(dir, `${Math.random()}.json`);
  const r = await runScript([...args, '--json', json, '--persist-timeout', '15']);
  return { ...r, report: JSON.parse(await readFile(json, 'utf8')) as RunReport };
}

function expectClean(report: RunReport) {
  expect(report.verdict).toEqual({ ok: true, exitCode: 0, failures: [] });
  expect(report.messages.ackErrors).toBe(0);
  expect(report.messages.acked).toBe(report.messages.sent);
  expect(report.deliveries.lost).toBe(0);
  expect(report.deliveries.duplicates).toBe(0);
  expect(report.deliveries.received).toBe(report.deliveries.expected);
  expect(report.persistence).toMatchObject({
    acked: report.messages.acked,
    persisted: report.messages.acked,
    missing: 0,
    duplicated: 0,
    mismatched: 0,
  });
  expect(report.persistence.completeAfterMs).not.toBeNull();
}

describe('socket_test.js against the real stack', () => {
  it('through the gateway (two chat nodes): every acked message delivered to every member and stored once', async () => {
    const { code, stdout, report } = await run([
      '--url',
      stack.url,
      '--users',
      '6',
      '--rooms',
      '2',
      '--rate',
      '50',
      '--duration',
      '3',
      '--ramp',
      '0.5',
    ]);
    expect(code, stdout).toBe(0);
    expectClean(report);
    expect(report.connections).toMatchObject({ connected: 6, failed: 0 });
    // 6 clients over 2 rooms: each message reaches its room's 3 members, the sender included.
    expect(report.messages.sent).toBeGreaterThanOrEqual(160);
    expect(report.deliveries.expected).toBe(report.messages.acked * 3);
    expect(report.deliveries.latencyMs.count).toBe(report.deliveries.received);
  });

  it('--event-share and --typing-share: edits and reactions in place of sends, presence chatter counted without failing the run', async () => {
    const { code, stdout, report } = await run([
      ...['--url', stack.url, '--chat-urls', stack.chatUrls.join(','), '--users', '10', '--rooms', '2'],
      ...'--rate 40 --duration 4 --ramp 0.5 --event-share 0.2 --typing-share 0.5 --typing-interval 1'.split(' '),
    ]);
    expect(code, stdout).toBe(0);
    expectClean(report);
    const side = report.side!;
    expect(side.eventSlots).toBeGreaterThan(20);
    // Every event slot is an edit or a reaction (or skipped before anything was acked): none is a send.
    expect(report.messages.sent).toBeLessThan(170 - side.eventSlots + 10);
    expect(side.edits.ok, JSON.stringify(side)).toBeGreaterThan(0);
    expect(side.reactions.sent).toBeGreaterThan(0);
    expect(side.edits.errorsByCode).toEqual({});
    expect(side.updatesReceived).toBeGreaterThan(0);
    // typing/markRead: answered, refused or unanswered (a server without the handler) — each counted.
    for (const e of [side.typing, side.markRead]) {
      expect(e.sent).toBeGreaterThan(0);
      const answered = e.ok + Object.values(e.errorsByCode).reduce((a, b) => a + b, 0);
      expect(answered).toBe(e.sent);
    }
    expect(stdout).toMatch(/^events {6}edits /m);
    expect(stdout).toMatch(/^presence {4}typing /m);
  });

  it('straight to the chat nodes with --chat-urls, accounts reused by prefix and shared by clients', async () => {
    const args = (more: string) => [
      ...['--url', stack.url, '--chat-urls', stack.chatUrls.join(','), '--user-prefix', 'e2ereuse'],
      ...`--rooms 3 --rate 20 --duration 1 --ramp 0 ${more}`.split(' '),
    ];
    const first = await run(args('--users 4 --accounts 2'));
    expect(first.code, first.stdout).toBe(0);
    expectClean(first.report);
    // Same prefix again: the two remembered tokens are refreshed (no bcrypt), one account is new.
    const again = await run(args('--users 3 --rooms-per-user 2'));
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/accounts +3 ok \(1 created, 0 logged in, 2 refreshed\)/);
    expectClean(again.report);
    // Without the remembered tokens the existing accounts log in (409 on register, then login).
    const forgetful = await run([...args('--users 3'), '--accounts-file', 'none']);
    expect(forgetful.code, forgetful.stdout).toBe(0);
    expect(forgetful.stdout).toMatch(/accounts +3 ok \(0 created, 3 logged in, 0 refreshed\)/);
  });
});

describe('the documented first run against production sign-up limits (issue 11.13)', () => {
  const limitsIso = useIsolation('socket-test-e2e-limits');
  let limited: RealStack;
  beforeAll(async () => {
    // REGISTER_MAX_PER_IP's default (20 an hour), with loopback exempt as `npm start` sets it.
    limited = await startRealStack(
      limitsIso(),
      1,
      {},
      {
        limits: { registerPerIp: { max: 20, windowSec: 3600 }, registerExempt: ['loopback'] },
      },
    );
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('--users 30 from this machine connects every client, and a second run signs up nobody', async () => {
    const args = ['--url', limited.url, ...'--users 30 --rooms 3 --rate 20 --duration 1 --ramp 0'.split(' ')];
    const first = await run(args);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.report.connections).toMatchObject({ connected: 30, failed: 0 });
    expect(first.stdout).toMatch(/accounts +30 ok \(30 created/);
    const second = await run(args);
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toMatch(/accounts +30 ok \(0 created, 0 logged in, 30 refreshed\)/);
  });
});
