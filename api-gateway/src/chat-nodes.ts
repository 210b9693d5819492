import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Picks the chat-service node for a Socket.IO request. A Socket.IO session lives on the node
 * that created it, so every request of a polling session (and the upgrade that carries its
 * `sid`) must reach the same node: those go by a hash of the client address. A fresh
 * WebSocket connection (no `sid`) has no such tie and is spread round-robin.
 */
export class ChatNodes {
  private next = 0;

  constructor(private readonly urls: readonly string[]) {
    if (urls.length === 0) throw new Error('ChatNodes: at least one chat-service URL');
  }

  get all(): readonly string[] {
    return this.urls;
  }

  forPolling(clientIp: string): string {
    return this.urls[stableIndex(clientIp, this.urls.length)]!;
  }

  forUpgrade(req: IncomingMessage, clientIp: string): string {
    if (hasSessionId(req.url ?? '')) return this.forPolling(clientIp);
    const url = this.urls[this.next % this.urls.length]!;
    this.next = (this.next + 1) % this.urls.length;
    return url;
  }
}

function hasSessionId(url: string): boolean {
  return new URL(url, 'http://gateway').searchParams.has('sid');
}

function stableIndex(key: string, n: number): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % n;
}
