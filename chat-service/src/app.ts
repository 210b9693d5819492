import http from 'node:http';
import { createBaseApp, finishApp } from '@chat/service-kit';
import { createApplication, type ChatApplication, type ChatDeps } from './application.js';

export type { ChatDeps } from './application.js';

export interface ChatApp extends ChatApplication {
  /** One HTTP server: Socket.IO on /socket.io, /health, /ready and /metrics beside it. */
  server: http.Server;
}

export function createApp(deps: ChatDeps): ChatApp {
  const app = finishApp(
    createBaseApp({ service: 'chat-service', log: deps.log, readiness: deps.readiness, metrics: deps.metrics }),
    deps.log,
  );
  const server = http.createServer(app);
  return { server, ...createApplication(server, deps) };
}
