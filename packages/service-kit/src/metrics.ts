import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Request, RequestHandler } from 'express';

/** A registry per service instance (tests create several in one process). */
export function createMetricsRegistry(service: string, withDefaults = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (withDefaults) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Requests by route and status, and their duration. `route` is the matched pattern, never the raw path. */
export function httpMetricsMiddleware(registry: Registry): RequestHandler {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const label = routeLabel(req);
      requests.inc({ method: req.method, route: label, status: String(res.statusCode) });
      end({ method: req.method, route: label });
    });
    next();
  };
}

/**
 * The matched route's template (`/messages/history/:roomId`), or `unmatched`. `req.baseUrl` is
 * the part of the path a mounted router matched, as the client spelled it: routing ignores
 * case, so it is lower-cased (mount paths are literal lower-case prefixes) and `/MESSAGES/...`
 * cannot mint a label of its own.
 */
function routeLabel(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  return typeof route === 'string' ? `${req.baseUrl.toLowerCase()}${route}` : 'unmatched';
}
