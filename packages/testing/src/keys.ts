import { generateKeyPairSync } from 'node:crypto';

export interface KeyPair {
  publicKey: string;
  privateKey: string;
}

let cached: KeyPair | undefined;

/** An ES256 key pair for tests (never used outside them); one per test process. */
export function testKeyPair(): KeyPair {
  cached ??= generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return cached;
}
