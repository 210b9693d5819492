import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, testKeyPair, useIsolation, waitFor } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRepoFile, readYaml, ROOT } from './repo.js';

const run = promisify(execFile);

/** promtool ships with Prometheus (Debian: package `prometheus`); scripts/test.sh installs it when missing. */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: path.join(ROOT, 'deploy/prometheus') });
    return stdout + stderr;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool not found: run `npm test` (scripts/test.sh installs it)');
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

const DASHBOARDS = ['deploy/grafana/dashboards/chat-overview.json'];
const dashboards = DASHBOARDS.map((file) => JSON.parse(readRepoFile(file)) as Dashboard);
const alertRules = (
  readYaml('deploy/prometheus/alerts.yml') as { groups: { rules: { alert: string; expr: string }[] }[] }
).groups.flatMap((g) => g.rules);
const datasources = (
  readYaml('deploy/grafana/provisioning/datasources/prometheus.yml') as { datasources: { uid: string }[] }
).datasources;

const PROMQL_WORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'by',
  'without',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'or',
  'and',
  'unless',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'le',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads (label matchers, grouping labels, strings, ranges and numbers removed). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![A-Za-z0-9_:])[A-Za-z_:][A-Za-z0-9_:]*(?![A-Za-z0-9_:]|\s*\()/g)) {
    if (!PROMQL_WORDS.has(m[0].toLowerCase())) names.add(m[0]);
  }
  return [...names];
}

/** A histogram's or summary's series name → the family Prometheus' text format declares with `# TYPE`. */
function family(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}

/**
 * Names no process of ours exports, each with where it comes from. redis_exporter runs only in
 * compose (it is not installable here: no Docker, and the Go proxy refuses the module), so its
 * two series are checked against its documented names instead of a scrape.
 */
const EXTERNAL: Record<string, string> = {
  up: 'Prometheus itself, per scrape target',
  redis_memory_used_bytes: 'redis_exporter (compose profile observability)',
  redis_memory_max_bytes: 'redis_exporter (compose profile observability)',
};

describe('alert rules', () => {
  it('pass promtool check rules', async () => {
    expect(await promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests (promtool test rules): DLQ, lag, node down, Redis memory', async () => {
    expect(await promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });

  it('cover what operators are paged for', () => {
    expect(alertRules.map((r) => r.alert).sort()).toEqual(
      [
        'ChatNodeDown',
        'DeadLetterQueueNotEmpty',
        'EventLoopLagHigh',
        'PersistLagHigh',
        'PublishConfirmSlow',
        'RedisMemoryHigh',
        'ServiceNotReady',
      ].sort(),
    );
  });
});

describe('prometheus.yml', () => {
  it('passes promtool check config, with the alert rules it loads', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prom-config-'));
    try {
      const config = readRepoFile('deploy/prometheus/prometheus.yml').replace(
        '/etc/prometheus/alerts.yml',
        path.join(ROOT, 'deploy/prometheus/alerts.yml'),
      );
      writeFileSync(path.join(dir, 'prometheus.yml'), config);
      expect(await promtool('check', 'config', path.join(dir, 'prometheus.yml'))).toMatch(/SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never scrapes through the public gateway port', () => {
    const config = readYaml('deploy/prometheus/prometheus.yml') as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets).not.toContain('api-gateway:3000');
    expect(targets).toEqual(
      expect.arrayContaining(['chat-1:3003', 'chat-2:3003', 'message-service:3002', 'user-service:3001']),
    );
  });
});

describe('grafana dashboards', () => {
  it.each(dashboards.map((d) => [d.uid, d] as const))('%s is well-formed Grafana JSON', (_uid, dash) => {
    expect(dash.title).toBeTruthy();
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dash.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.expr.trim(), p.title).not.toBe('');
        expect(
          datasources.map((d) => d.uid),
          p.title,
        ).toContain(t.datasource?.uid ?? p.datasource?.uid);
      }
    }
    // No two panels overlap.
    const cells = new Set<string>();
    for (const { gridPos: g, title } of dash.panels) {
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('reads metric names out of PromQL (control)', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, instance) (rate(chat_publish_confirm_seconds_bucket{job="x"}[5m]))) > 0.25',
      ),
    ).toEqual(['chat_publish_confirm_seconds_bucket']);
    expect(metricNames('max by (instance) (redis_memory_used_bytes / (redis_memory_max_bytes > 0)) > 0.8')).toEqual([
      'redis_memory_used_bytes',
      'redis_memory_max_bytes',
    ]);
  });
});

/** Every series the dashboards and alerts read exists in a real scrape of the running services. */
describe('metric names against real scrapes', () => {
  const iso = useIsolation('observability');
  const children: ChildProcess[] = [];
  const declared = new Set<string>();

  function start(entry: string, env: Record<string, string>): void {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
  }

  async function scrape(url: string): Promise<void> {
    let text = '';
    await waitFor(
      async () => {
        const res = await fetch(url).catch(() => null);
        if (res?.status !== 200) return false;
        text = await res.text();
        return true;
      },
      45_000,
      url,
    );
    for (const m of text.matchAll(/^# TYPE (\S+) /gm)) declared.add(m[1]!);
    for (const m of text.matchAll(/^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/gm)) declared.add(family(m[1]!));
  }

  beforeAll(async () => {
    const keys = testKeyPair();
    const common = {
      JWT_PUBLIC_KEY: keys.publicKey.replace(/\n/g, '\\n'),
      REDIS_URL: iso().redisUrl,
      REDIS_KEY_PREFIX: iso().redisPrefix,
    };
    const [users, messages, chat] = await Promise.all([freePort(), freePort(), freePort()]);
    start('user-service/src/main.ts', {
      ...common,
      PORT: String(users),
      JWT_PRIVATE_KEY: keys.privateKey.replace(/\n/g, '\\n'),
      MONGO_URL: iso().mongoUrl,
      MONGO_DB: iso().mongoDbName,
    });
    start('message-service/src/main.ts', {
      ...common,
      PORT: String(messages),
      MONGO_URL: iso().mongoUrl,
      MONGO_DB: iso().mongoDbName,
      AMQP_URL: iso().amqpUrl,
    });
    start('chat-service/src/main.ts', {
      ...common,
      PORT: String(chat),
      AMQP_URL: iso().amqpUrl,
      MESSAGE_SERVICE_URL: `http://127.0.0.1:${messages}`,
    });
    await Promise.all([
      scrape(`http://127.0.0.1:${users}/metrics`),
      scrape(`http://127.0.0.1:${messages}/metrics`),
      scrape(`http://127.0.0.1:${chat}/metrics`),
    ]);
    // RabbitMQ's own plugin (rabbitmq_prometheus, enabled by scripts/services.sh), per queue:
    // message-service has declared its queues in this run's vhost by now.
    const rabbit = new URL(process.env.RABBITMQ_PROMETHEUS_URL ?? 'http://127.0.0.1:15692');
    await scrape(`${rabbit.origin}/metrics`);
    await scrape(`${rabbit.origin}/metrics/detailed?family=queue_coarse_metrics&family=queue_consumer_count`);
  }, 120_000);

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  const used = [
    ...dashboards.flatMap((d) =>
      d.panels.flatMap((p) =>
        (p.targets ?? []).flatMap((t) => metricNames(t.expr).map((n) => [`${d.uid}: ${p.title}`, n])),
      ),
    ),
    ...alertRules.flatMap((r) => metricNames(r.expr).map((n) => [`alert ${r.alert}`, n])),
  ];

  it('the dashboards and alerts read some series at all (control)', () => {
    expect(used.length).toBeGreaterThan(20);
  });

  it.each(used)('%s reads %s, which a service exports', (_where, name) => {
    if (name in EXTERNAL) return;
    expect(declared.has(family(name)), `${name} (family ${family(name)}) is in no scrape`).toBe(true);
  });
});
