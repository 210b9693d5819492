import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '@chat/service-kit';
import { healthReachable } from './upstream-health.js';

export interface ChatNodesOptions {
  log: Logger;
  /** How often every node's /health is probed in the background (0: never, for tests). */
  probeIntervalMs: number;
  /** A probe slower than this counts as a failure. */
  probeTimeoutMs: number;
}

/**
 * Picks the chat-service node for a Socket.IO request, skipping nodes known to be down.
 *
 * A Socket.IO session lives on the node that created it, so every request of a polling session
 * (and the upgrade that carries its `sid`) must reach the same node: those go by a rendezvous
 * hash of the client address over the live nodes (a node going or coming back moves only the
 * clients it takes or gives back). A fresh WebSocket (no `sid`) has no such tie and is spread
 * round-robin over the live nodes.
 *
 * Health is passive and active: a node that refuses a connection (or does not connect in
 * time) is marked down at once; a background probe of every node's /health marks nodes down
 * and brings them back. With every node down, all are tried (better a refusal than nothing).
 */
export class ChatNodes {
  private next = 0;
  private readonly down = new Set<string>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly urls: readonly string[],
    private readonly opts: ChatNodesOptions,
  ) {
    if (urls.length === 0) throw new Error('ChatNodes: at least one chat-service URL');
    if (opts.probeIntervalMs > 0) {
      this.timer = setInterval(() => void this.probe(), opts.probeIntervalMs);
      this.timer.unref();
    }
  }

  get all(): readonly string[] {
    return this.urls;
  }

  forPolling(clientIp: string): string {
    const live = this.live();
    let best = live[0]!;
    let bestScore = -1;
    for (const url of live) {
      const score = createHash('sha1').update(`${url}\n${clientIp}`).digest().readUInt32BE(0);
      if (score > bestScore) [best, bestScore] = [url, score];
    }
    return best;
  }

  forUpgrade(req: IncomingMessage, clientIp: string): string {
    if (hasSessionId(req.url ?? '')) return this.forPolling(clientIp);
    const live = this.live();
    const url = live[this.next % live.length]!;
    this.next = (this.next + 1) % live.length;
    return url;
  }

  /** A connection to `url` failed: send nothing new there until a probe finds it healthy. */
  markDown(url: string): void {
    if (this.down.has(url) || !this.urls.includes(url)) return;
    this.down.add(url);
    this.opts.log.warn({ upstream: url }, 'chat node down; routing around it');
  }

  /** Probe every node once; resolves when all probes are done. */
  async probe(): Promise<void> {
    await Promise.all(
      this.urls.map(async (url) => {
        if (!(await healthReachable(url, this.opts.probeTimeoutMs))) return this.markDown(url);
        if (this.down.delete(url)) this.opts.log.info({ upstream: url }, 'chat node healthy again');
      }),
    );
  }

  close(): void {
    clearInterval(this.timer);
  }

  private live(): readonly string[] {
    const live = this.urls.filter((url) => !this.down.has(url));
    return live.length > 0 ? live : this.urls;
  }
}

/** Whether the query names a Socket.IO session (parsed without URL: no input can throw here). */
function hasSessionId(target: string): boolean {
  const q = target.indexOf('?');
  return q !== -1 && new URLSearchParams(target.slice(q + 1)).has('sid');
}
