/**
 * A fresh idempotency key for a send. `crypto.randomUUID` exists only in secure contexts
 * (https, localhost); plain-http deployments fall back to 128 random bits in hex.
 */
export function newClientMsgId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
