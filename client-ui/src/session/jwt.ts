/**
 * The lifetime a JWT claims (`iat`, `exp`, seconds), read without verifying it: the client
 * only uses it to plan a refresh. The servers verify every token they are given.
 */
export interface TokenLifetime {
  issuedAtMs: number;
  expiresAtMs: number;
}

export function tokenLifetime(token: string): TokenLifetime | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { iat?: unknown; exp?: unknown };
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') return undefined;
    return { issuedAtMs: claims.iat * 1000, expiresAtMs: claims.exp * 1000 };
  } catch {
    return undefined;
  }
}
