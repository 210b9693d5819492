import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

export type ClientIp = (req: IncomingMessage) => string;

/**
 * The client's address as the gateway sees it: the socket peer, or (behind trusted proxies,
 * TRUST_PROXY) the nearest untrusted X-Forwarded-For entry. Works for upgrades too.
 */
export function clientIpResolver(trusted: string[]): ClientIp {
  const trust = proxyaddr.compile(trusted);
  return (req) => proxyaddr(req as Parameters<typeof proxyaddr>[0], trust);
}

/** Replace whatever forwarding headers the client sent with the one address we vouch for. */
export function setForwardedHeaders(req: IncomingMessage, ip: string): void {
  delete req.headers.forwarded;
  req.headers['x-forwarded-for'] = ip;
}
