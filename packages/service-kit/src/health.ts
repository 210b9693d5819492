import type { HealthResponse } from '@chat/contracts';
import { Router } from 'express';
import { Gauge, type Registry } from 'prom-client';

type Check = () => boolean | Promise<boolean>;

/**
 * What `/ready` reports: each dependency registers a check (a connection helper reports its
 * own state); the service is ready when every check passes and it is not shutting down.
 */
export class Readiness {
  private readonly checks = new Map<string, Check>();
  private draining = false;

  register(name: string, check: Check): void {
    this.checks.set(name, check);
  }

  /** Called at the start of shutdown so load balancers stop sending new work. */
  markDraining(): void {
    this.draining = true;
  }

  async evaluate(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          checks[name] = await withTimeout(Promise.resolve(check()), 1000);
        } catch {
          checks[name] = false;
        }
      }),
    );
    if (this.draining) checks.draining = false;
    return { ready: Object.values(checks).every(Boolean), checks };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('check timed out')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** `/health`: liveness, public (the gateway maps `/auth/health` and `/messages/health` to it). */
export function livenessRouter(service: string): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    const body: HealthResponse = { status: 'ok', service };
    res.json(body);
  });
  return router;
}

/** `/ready` (dependencies) and `/metrics` (Prometheus text): for operators only. */
export function operatorRouter(service: string, readiness: Readiness, registry: Registry): Router {
  const router = Router();
  // What /ready says, as a series: alerts fire on a process that stays not-ready (deploy/prometheus/alerts.yml).
  // Once per registry: a service may mount this router under two prefixes.
  if (!registry.getSingleMetric('service_ready')) registerReadyGauge(readiness, registry);
  router.get('/ready', async (_req, res) => {
    const { ready, checks } = await readiness.evaluate();
    const body: HealthResponse = { status: ready ? 'ok' : 'unavailable', service, checks };
    res.status(ready ? 200 : 503).json(body);
  });
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return router;
}

/** `/health`, `/ready` and `/metrics` together. */
export function healthRouter(service: string, readiness: Readiness, registry: Registry): Router {
  return Router().use(livenessRouter(service), operatorRouter(service, readiness, registry));
}

function registerReadyGauge(readiness: Readiness, registry: Registry): void {
  new Gauge({
    name: 'service_ready',
    help: '1 when every dependency is reachable and the process is not draining, else 0',
    registers: [registry],
    async collect() {
      this.set((await readiness.evaluate()).ready ? 1 : 0);
    },
  });
}
