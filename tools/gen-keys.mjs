#!/usr/bin/env node
// Writes an ES256 key pair (public.pem, private.pem) for signing and verifying tokens.
// Usage: node tools/gen-keys.mjs <dir>     (or --env to print .env lines with \n escapes)
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const arg = process.argv[2];
if (!arg || arg === '--help') {
  console.error('usage: node tools/gen-keys.mjs <dir> | --env');
  process.exit(arg ? 0 : 2);
}
const { publicKey, privateKey } = generateKeyPairSync('ec', {
  namedCurve: 'P-256',
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
if (arg === '--env') {
  const oneLine = (pem) => pem.trim().replace(/\n/g, '\\n');
  console.log(`JWT_PUBLIC_KEY="${oneLine(publicKey)}"`);
  console.log(`JWT_PRIVATE_KEY="${oneLine(privateKey)}"`);
} else {
  mkdirSync(arg, { recursive: true });
  writeFileSync(path.join(arg, 'public.pem'), publicKey);
  writeFileSync(path.join(arg, 'private.pem'), privateKey, { mode: 0o600 });
}
