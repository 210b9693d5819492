import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import type { z } from 'zod';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const readRepoFile = (relative: string): string => readFileSync(path.join(ROOT, relative), 'utf8');

/** A YAML file with merge keys (`<<: *anchor`) resolved, as docker compose reads it. */
export const readYaml = (relative: string): unknown => parse(readRepoFile(relative), { merge: true });

export const readYamlDocuments = (relative: string): unknown[] =>
  parseAllDocuments(readRepoFile(relative)).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${relative}: ${doc.errors[0]!.message}`);
    return doc.toJS() as unknown;
  });

/** The deployable Node services: workspace → its default port (docs/architecture.md). */
export const NODE_SERVICES = {
  'api-gateway': 3000,
  'user-service': 3001,
  'message-service': 3002,
  'chat-service': 3003,
} as const;
export type NodeService = keyof typeof NODE_SERVICES;

/** Services that serve /ready and /metrics on a port of their own, never reachable from outside. */
export const OPERATOR_PORTS: Partial<Record<NodeService, number>> = { 'api-gateway': 9100 };

type AnyObjectSchema = z.ZodObject<z.ZodRawShape>;

/** The zod env schema a service's `src/config.ts` exports (the one export named `*ConfigSchema`). */
export async function serviceConfigSchema(service: NodeService): Promise<AnyObjectSchema> {
  const mod = (await import(path.join(ROOT, service, 'src/config.ts'))) as Record<string, unknown>;
  const schemas = Object.entries(mod).filter(([name]) => /ConfigSchema$/.test(name));
  if (schemas.length !== 1) throw new Error(`${service}/src/config.ts: expected one *ConfigSchema export`);
  return schemas[0]![1] as AnyObjectSchema;
}

/** `KEY=value` lines as docker compose reads a .env file (double quotes expand `\n`). */
export function parseDotenv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const raw = m[2]!;
    if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
      env[m[1]!] = raw.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) {
      env[m[1]!] = raw.slice(1, -1);
    } else {
      env[m[1]!] = raw;
    }
  }
  return env;
}

/** A .env as `node deploy/make-env.mjs` writes it for a new installation. */
export function generatedDotenv(): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'make-env-'));
  try {
    const target = path.join(dir, '.env');
    execFileSync(process.execPath, [path.join(ROOT, 'deploy/make-env.mjs'), target], { stdio: 'pipe' });
    return parseDotenv(readFileSync(target, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
