import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex, Readable } from 'node:stream';
import { AppError, endWithError, type Logger } from '@chat/service-kit';
import type { Response } from 'express';
import httpProxy from 'http-proxy';
import { Histogram, type Registry } from 'prom-client';

export type UpstreamName = 'user-service' | 'message-service' | 'chat-service';

export interface UpstreamProxyOptions {
  log: Logger;
  metrics: Registry;
  /** Connecting slower than this is an unavailable upstream (503), so a dead host fails fast. */
  connectTimeoutMs: number;
}

export interface WebTarget {
  upstream: UpstreamName;
  /** Base URL; the request path is appended unchanged unless `path` replaces it. */
  url: string;
  path?: string;
  /** How long the upstream may take to send response headers (504 after). */
  timeoutMs: number;
  /** The body to forward (a size-limited view of the request). */
  body: Readable;
  /** Told when the upstream refused the connection or did not connect in time. */
  onUnreachable?: () => void;
}

export interface WsTarget {
  url: string;
  timeoutMs: number;
  onUnreachable?: () => void;
}

/** What is in flight for one proxied request, found again from http-proxy's events. */
interface Attempt {
  upstream: UpstreamName;
  started: bigint;
  timeoutMs: number;
  fail: (err: AppError) => void;
  settled: boolean;
  /** For an upgrade: tie the upstream socket's life to the client's. */
  upgraded?: (upstreamSocket: Duplex) => void;
  /** Drop the outgoing request (set once it exists). */
  cancel?: () => void;
  /** The upstream could not be connected to (not: it failed after connecting). */
  unreachable: () => void;
}

/**
 * http-proxy with the gateway's failure rules: an upstream that refuses or does not connect
 * within `connectTimeoutMs` answers 503 UPSTREAM_UNAVAILABLE, one that does not start its
 * answer within the target's timeout answers 504 UPSTREAM_TIMEOUT, always as JSON; latency
 * to the upstream's response headers is recorded per upstream.
 */
export class UpstreamProxy {
  private readonly proxy = httpProxy.createProxyServer({ xfwd: false, ws: true });
  private readonly attempts = new WeakMap<IncomingMessage, Attempt>();
  private readonly agents = new Map<string, http.Agent>();
  private readonly latency: Histogram<'upstream' | 'outcome'>;

  constructor(private readonly opts: UpstreamProxyOptions) {
    this.latency = new Histogram({
      name: 'gateway_upstream_duration_seconds',
      help: 'Time from forwarding a request to the upstream answering (or failing), by upstream',
      labelNames: ['upstream', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [opts.metrics],
    });
    this.proxy.on('proxyReq', (proxyReq, req) => this.watch(proxyReq, req));
    this.proxy.on('proxyReqWs', (proxyReq, req) => this.watch(proxyReq, req));
    // Errors reach the per-call callbacks; this only keeps a stray one from crashing the process.
    this.proxy.on('error', (err) => opts.log.warn({ err: err.message }, 'proxy error'));
  }

  web(req: IncomingMessage, res: Response, target: WebTarget): void {
    const attempt = this.begin(req, target.upstream, target.timeoutMs, target.onUnreachable, (err) => {
      if (!res.headersSent) {
        if (err.code === 'PAYLOAD_TOO_LARGE') res.setHeader('Connection', 'close');
        res.status(err.status).json(err.toBody());
      } else {
        res.destroy();
      }
    });
    res.once('close', () => (attempt.settled = true));
    target.body.once('error', (err) => attempt.fail(err instanceof AppError ? err : unavailable(target.upstream)));
    this.proxy.web(
      req,
      res,
      {
        target: target.path ? `${target.url}${target.path}` : target.url,
        ignorePath: target.path !== undefined,
        agent: this.agentFor(target.url),
        buffer: target.body,
      },
      (err) => this.failed(attempt, err, target.upstream),
    );
  }

  ws(req: IncomingMessage, socket: Duplex, head: Buffer, target: WsTarget): void {
    const attempt = this.begin(req, 'chat-service', target.timeoutMs, target.onUnreachable, (err) =>
      endWithError(socket, err),
    );
    socket.once('close', () => (attempt.settled = true));
    // http-proxy pipes the two sockets, which only propagates a clean end; a destroyed side
    // (client gone, shutdown, upstream crash) must take the other one with it.
    attempt.upgraded = (upstreamSocket) => {
      socket.once('close', () => upstreamSocket.destroy());
      upstreamSocket.once('close', () => socket.destroy());
    };
    this.proxy.ws(req, socket, head, { target: target.url }, (err) => this.failed(attempt, err, 'chat-service'));
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.proxy.close();
  }

  private begin(
    req: IncomingMessage,
    upstream: UpstreamName,
    timeoutMs: number,
    onUnreachable: (() => void) | undefined,
    answer: (err: AppError) => void,
  ): Attempt {
    const attempt: Attempt = {
      upstream,
      started: process.hrtime.bigint(),
      timeoutMs,
      settled: false,
      unreachable: () => onUnreachable?.(),
      fail: (err) => {
        if (attempt.settled) return;
        attempt.settled = true;
        this.observe(attempt, err.code === 'UPSTREAM_TIMEOUT' ? 'timeout' : 'unavailable');
        if (err.code !== 'PAYLOAD_TOO_LARGE')
          this.opts.log.warn({ upstream, reqId: req.headers['x-request-id'], code: err.code }, 'upstream failed');
        answer(err);
        attempt.cancel?.();
      },
    };
    this.attempts.set(req, attempt);
    return attempt;
  }

  /** Arm the connect and response timers on the outgoing request. */
  private watch(proxyReq: ClientRequest, req: IncomingMessage): void {
    const attempt = this.attempts.get(req);
    if (!attempt) return;
    attempt.cancel = () => proxyReq.destroy();
    const responseTimer = setTimeout(
      () => attempt.fail(new AppError('UPSTREAM_TIMEOUT', `${attempt.upstream} did not answer in time`)),
      attempt.timeoutMs,
    );
    const clear = () => clearTimeout(responseTimer);
    const answered = () => {
      clear();
      this.answered(req);
    };
    proxyReq.once('response', answered).once('upgrade', (_res: IncomingMessage, upstreamSocket: Duplex) => {
      answered();
      attempt.upgraded?.(upstreamSocket);
    });
    proxyReq.once('close', clear);
    proxyReq.once('socket', (socket) => {
      if (!socket.connecting) return;
      const connectTimer = setTimeout(() => {
        attempt.unreachable();
        attempt.fail(unavailable(attempt.upstream));
      }, this.opts.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(connectTimer)).once('close', () => clearTimeout(connectTimer));
    });
  }

  private answered(req: IncomingMessage): void {
    const attempt = this.attempts.get(req);
    if (!attempt || attempt.settled) return;
    this.observe(attempt, 'response');
    this.attempts.delete(req);
  }

  private observe(attempt: Attempt, outcome: 'response' | 'unavailable' | 'timeout'): void {
    const seconds = Number(process.hrtime.bigint() - attempt.started) / 1e9;
    this.latency.observe({ upstream: attempt.upstream, outcome }, seconds);
  }

  /** http-proxy's callback: the upstream failed (a refused connection also makes it unreachable). */
  private failed(attempt: Attempt, err: Error, upstream: UpstreamName): void {
    if (CONNECT_ERRORS.has((err as NodeJS.ErrnoException).code ?? '')) attempt.unreachable();
    attempt.fail(err instanceof AppError ? err : unavailable(upstream, err));
  }

  private agentFor(url: string): http.Agent {
    let agent = this.agents.get(url);
    if (!agent) {
      // Keep-alive to each upstream; idle sockets are dropped before the upstream's own 5 s keep-alive ends.
      const options = { keepAlive: true, maxSockets: 256, timeout: 4_000 };
      agent = url.startsWith('https:') ? new https.Agent(options) : new http.Agent(options);
      this.agents.set(url, agent);
    }
    return agent;
  }
}

/** Errors that mean nothing listens (or answers) at the upstream's address. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function unavailable(upstream: UpstreamName, cause?: unknown): AppError {
  return new AppError('UPSTREAM_UNAVAILABLE', `${upstream} is unavailable`, { cause });
}
