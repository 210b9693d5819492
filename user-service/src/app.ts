import { createBaseApp, finishApp, type Logger, type Readiness } from '@chat/service-kit';
import type { Express } from 'express';
import type { Registry } from 'prom-client';
import { authRouter, type AuthRouteDeps } from './auth-routes.js';

export const SERVICE_NAME = 'user-service';

export interface UserServiceDeps extends AuthRouteDeps {
  log: Logger;
  readiness: Readiness;
  metrics: Registry;
  /** Proxies trusted for X-Forwarded-For (TRUST_PROXY), so the IP behind the gateway is the client's. */
  trustProxy: string[];
}

export function createApp(deps: UserServiceDeps): Express {
  const app = createBaseApp({ service: SERVICE_NAME, log: deps.log, readiness: deps.readiness, metrics: deps.metrics });
  app.set('trust proxy', deps.trustProxy.length > 0 ? deps.trustProxy : false);
  app.use(authRouter(deps));
  return finishApp(app, deps.log);
}
