import { AppError } from '@chat/service-kit';
import type { RequestHandler } from 'express';

/**
 * Paths the gateway never forwards nor serves, on the canonical form of the path:
 * every service's `/ready` and `/metrics` (its own and the upstreams' under `/auth`,
 * `/messages`, `/socket.io`) and chat-service's `/internal/*` API (DESIGN.md §2, §3.6).
 */
const OPERATOR_ONLY = /^(\/(auth|messages|socket\.io))?\/(metrics|ready|internal)(\/|$)/;

/** The request target's path (no query), exactly as the client sent it. */
export function rawPath(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}

/**
 * The path as any upstream might read it, to judge it by: percent-decoded, runs of `/`
 * collapsed, lower-cased (express routes ignore case). Throws INVALID for a target that is not
 * a path (absolute form `http://host/x`, `*`: the gateway is no forward proxy), for bad
 * percent-encoding and for dot segments (`/auth/../metrics`), which are never forwarded
 * whatever an upstream would make of them.
 */
export function canonicalPath(target: string): string {
  if (!target.startsWith('/')) throw new AppError('INVALID', 'the request target must be a path');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath(target));
  } catch {
    throw new AppError('INVALID', 'the path is not valid percent-encoded UTF-8');
  }
  if (/(^|[/\\])\.{1,2}([/\\]|$)/.test(decoded)) throw new AppError('INVALID', 'path must not contain dot segments');
  return decoded.replace(/\/{2,}/g, '/').toLowerCase();
}

/** Whether a public client may reach this target at all (`canonicalPath`'s errors propagate). */
export function isOperatorOnly(target: string): boolean {
  return OPERATOR_ONLY.test(canonicalPath(target));
}

/** First in the chain: malformed targets answer 400, operator-only paths 404, both as JSON. */
export const refuseNonPublicPaths: RequestHandler = (req, _res, next) => {
  if (isOperatorOnly(req.originalUrl)) throw new AppError('NOT_FOUND', 'not found');
  next();
};
