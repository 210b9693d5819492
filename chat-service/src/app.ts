import http from 'node:http';
import { INTERNAL_BODY_MAX_BYTES } from '@chat/contracts';
import { createBaseApp, finishApp } from '@chat/service-kit';
import { createApplication, type ChatApplication, type ChatDeps } from './application.js';
import { internalApiRouter } from './http/internal-api.js';

export type { ChatDeps } from './application.js';

export interface ChatApp extends ChatApplication {
  /** One HTTP server: Socket.IO on /socket.io, /health, /ready and /metrics beside it. */
  server: http.Server;
}

export function createApp(deps: ChatDeps): ChatApp {
  const { config } = deps;
  const app = createBaseApp({
    service: 'chat-service',
    log: deps.log,
    readiness: deps.readiness,
    metrics: deps.metrics,
    bodyLimit: INTERNAL_BODY_MAX_BYTES,
  });
  // The socket server needs the HTTP server, which needs the app: the routes read it per request.
  if (config.INTERNAL_API_TOKEN) {
    app.use(
      internalApiRouter({
        token: config.INTERNAL_API_TOKEN,
        io: () => application.io,
        messages: () => application.messages,
        publishRatePerMinute: config.INTERNAL_PUBLISH_RATE_LIMIT_PER_MIN,
      }),
    );
  }
  const server = http.createServer(finishApp(app, deps.log));
  const application = createApplication(server, deps);
  return { server, ...application };
}
