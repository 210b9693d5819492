import { createMetricsRegistry, createTokenVerifier, Readiness, type Logger } from '@chat/service-kit';
import type { Registry } from 'prom-client';
import { createApp, type ChatApp } from './app.js';
import type { ChatConfig } from './config.js';
import type { HistoryClient } from './adapters/history-client.js';
import { connectInfrastructure, type ChatInfrastructure } from './infrastructure.js';

export interface ChatService {
  app: ChatApp;
  infra: ChatInfrastructure;
  readiness: Readiness;
  metrics: Registry;
  /** Drain the socket server, then close the broker and Redis connections. */
  close(): Promise<void>;
}

export interface ChatServiceOptions {
  /** Replaces the HTTP client of message-service (tests without it running). */
  history?: HistoryClient;
  /** Process metrics (CPU, heap, event loop); off when several nodes share one process. */
  processMetrics?: boolean;
}

/**
 * A whole node built from its config: what main.ts runs, and what tests and benchmarks start
 * in-process. Call `infra.publisher.start()` to connect to RabbitMQ (main does not wait for it).
 */
export function createChatService(config: ChatConfig, log: Logger, opts: ChatServiceOptions = {}): ChatService {
  const readiness = new Readiness();
  const metrics = createMetricsRegistry('chat-service', opts.processMetrics ?? true);
  const infra = connectInfrastructure(config, log, readiness);
  const app = createApp({
    ...infra,
    ...(opts.history ? { history: opts.history } : {}),
    config,
    log,
    readiness,
    metrics,
    verifyToken: createTokenVerifier(config.JWT_PUBLIC_KEY, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
  });
  return {
    app,
    infra,
    readiness,
    metrics,
    close: async () => {
      await app.close();
      await infra.close();
    },
  };
}
