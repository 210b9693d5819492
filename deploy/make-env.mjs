#!/usr/bin/env node
// Writes the .env that docker-compose.yml reads, from .env.example: each empty password gets
// a fresh random URL-safe value and the JWT pair a new ES256 key pair (tools/gen-keys.mjs).
// Refuses to overwrite an existing file.
// Usage: node deploy/make-env.mjs [target]      (default: .env in the repository root)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = process.argv[2] ?? `${root}.env`;
if (existsSync(target)) {
  process.stderr.write(`${target} exists; not overwriting it\n`);
  process.exit(1);
}

const keyLines = execFileSync(process.execPath, [`${root}tools/gen-keys.mjs`, '--env'], { encoding: 'utf8' });
const generated = new Map(
  keyLines
    .trim()
    .split('\n')
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

const filled = readFileSync(`${root}.env.example`, 'utf8').replace(/^([A-Z0-9_]+)=$/gm, (_, name) => {
  const value = generated.get(name) ?? (/_(PASSWORD|SECRET)$/.test(name) ? randomBytes(24).toString('hex') : undefined);
  if (value === undefined) throw new Error(`.env.example: no generator for the empty ${name}`);
  return `${name}=${value}`;
});
writeFileSync(target, filled, { mode: 0o600 });
process.stdout.write(`wrote ${target}\n`);
