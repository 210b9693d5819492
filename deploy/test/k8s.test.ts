import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@chat/service-kit';
import { testKeyPair } from '@chat/testing';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { describe, expect, it } from 'vitest';
import {
  NODE_SERVICES,
  OPERATOR_PORTS,
  readYaml,
  readYamlDocuments,
  ROOT,
  serviceConfigSchema,
  type NodeService,
} from './repo.js';

const DIR = 'deploy/k8s';
const MODELS = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
} as const;
type Kind = keyof typeof MODELS;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

const files = readdirSync(path.join(ROOT, DIR)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests = files.flatMap((f) => readYamlDocuments(`${DIR}/${f}`).map((m) => ({ file: f, m: m as Manifest })));
const find = (kind: string, name: string) => manifests.find(({ m }) => m.kind === kind && m.metadata.name === name)?.m;

/** Validates against the Kubernetes OpenAPI schema of its kind (kubernetes-models). */
function validateManifest(m: Manifest): void {
  const Model = MODELS[`${m.apiVersion}/${m.kind}` as Kind] as
    (new (data: unknown) => { validate(): void }) | undefined;
  if (!Model) throw new Error(`no schema for ${m.apiVersion} ${m.kind}`);
  new Model(m).validate();
}

/** Plausible values for what the manifests take from Secrets, to run each config schema. */
const SECRET_SAMPLES: Record<string, string> = {
  JWT_PUBLIC_KEY: testKeyPair().publicKey,
  JWT_PRIVATE_KEY: testKeyPair().privateKey,
  // A replica set by its SRV name (a comma seed list is not a WHATWG URL: see README.md).
  MONGO_URL: 'mongodb+srv://chat:pw@chat-mongo-svc.chat.svc.cluster.local/?replicaSet=rs0&authSource=chat',
  REDIS_URL: 'redis://:pw@redis:6379',
  AMQP_URL: 'amqp://svc:pw@rabbitmq:5672/chat',
};

describe('deploy/k8s manifests', () => {
  it('are valid against the Kubernetes schemas', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(17);
    for (const { file, m } of manifests) {
      expect(() => validateManifest(m), `${file} ${m.kind}/${m.metadata.name}`).not.toThrow();
      expect(m.metadata.namespace ?? m.metadata.name, `${file} ${m.kind}`).toBe('chat');
    }
  });

  it('the schema check rejects a malformed Deployment (control)', () => {
    const broken = structuredClone(find('Deployment', 'chat-service')!) as Manifest & { spec: Record<string, unknown> };
    broken.spec.replicas = 'two';
    delete broken.spec.selector;
    expect(() => validateManifest(broken)).toThrow(/replicas must be integer|selector/);
  });

  it('are all listed in kustomization.yaml', () => {
    const k = readYaml(`${DIR}/kustomization.yaml`) as { resources: string[] };
    expect([...k.resources].sort()).toEqual([...files].sort());
  });
});

describe.each(Object.keys(NODE_SERVICES) as NodeService[])('%s on Kubernetes', (service) => {
  const deployment = find('Deployment', service) as Manifest & {
    spec: {
      replicas?: number;
      selector: { matchLabels: Record<string, string> };
      template: {
        metadata: { labels: Record<string, string> };
        spec: {
          containers: IContainer[];
          terminationGracePeriodSeconds: number;
          securityContext: { runAsNonRoot: boolean; runAsUser: number };
        };
      };
    };
  };
  const svc = find('Service', service) as Manifest & {
    spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
  };
  const hpa = find('HorizontalPodAutoscaler', service) as Manifest & {
    spec: { scaleTargetRef: { apiVersion: string; kind: string; name: string }; minReplicas: number };
  };
  const port = NODE_SERVICES[service];

  it('has a Deployment, a Service and a HorizontalPodAutoscaler that fit together', () => {
    expect(deployment && svc && hpa).toBeTruthy();
    const podLabels = deployment.spec.template.metadata.labels;
    expect(podLabels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(podLabels).toMatchObject(svc.spec.selector);
    expect(svc.spec.ports).toEqual([{ name: 'http', port, targetPort: 'http' }]);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: service });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    // The autoscaler owns the replica count; an applied `replicas` would fight it.
    expect(deployment.spec.replicas).toBeUndefined();
    expect(find('PodDisruptionBudget', service)).toBeDefined();
  });

  it('probes readiness on /ready and liveness on /health, on the port it listens on', () => {
    const [c] = deployment.spec.template.spec.containers;
    const operator = OPERATOR_PORTS[service];
    expect(c!.ports).toEqual([
      { name: 'http', containerPort: port },
      ...(operator ? [{ name: 'operator', containerPort: operator }] : []),
    ]);
    expect(c!.readinessProbe?.httpGet).toEqual({ path: '/ready', port: operator ? 'operator' : 'http' });
    expect(c!.livenessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
  });

  it("sets only variables from the service's config schema, which accepts them", async () => {
    const [c] = deployment.spec.template.spec.containers;
    const schema = await serviceConfigSchema(service);
    const env: Record<string, string> = {};
    for (const e of c!.env ?? []) {
      if (e.valueFrom) {
        expect(e.valueFrom.secretKeyRef?.name, e.name).toMatch(/^chat-/);
        env[e.name] = SECRET_SAMPLES[e.name]!;
      } else {
        // Anything secret comes from a Secret, never a literal in the manifest.
        expect(e.name).not.toMatch(/PASSWORD|SECRET|TOKEN|_KEY$/);
        if (e.name.endsWith('_URL')) expect(new URL(e.value!).password, e.name).toBe('');
        env[e.name] = e.value!;
      }
    }
    expect(Object.keys(env).filter((k) => !(k in schema.shape))).toEqual([]);
    const config = loadConfig(schema, env) as { PORT: number; SHUTDOWN_TIMEOUT_MS: number };
    expect(config.PORT).toBe(port);
    // Kubernetes waits for the drain before it kills the pod.
    const preStopSec = Number(c!.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      config.SHUTDOWN_TIMEOUT_MS / 1000 + preStopSec,
    );
  });

  it('runs the release image as the non-root node user, read-only', () => {
    const pod = deployment.spec.template.spec;
    const [c] = pod.containers;
    expect(c!.image).toMatch(new RegExp(`^chat-platform/${service}:\\d+\\.\\d+\\.\\d+$`));
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(c!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(c!.resources?.limits?.memory).toBeDefined();
  });
});

describe('service-to-service URLs on Kubernetes', () => {
  it('name the Services and their ports; each broker login is its own Secret', () => {
    const servicePorts = new Map(
      manifests
        .filter(({ m }) => m.kind === 'Service')
        .map(({ m }) => [m.metadata.name, (m.spec as { ports: { port: number }[] }).ports[0]!.port]),
    );
    for (const service of Object.keys(NODE_SERVICES) as NodeService[]) {
      const c = (find('Deployment', service)!.spec as { template: { spec: { containers: IContainer[] } } }).template
        .spec.containers[0]!;
      for (const e of c.env ?? []) {
        if (e.name.endsWith('_URL') || e.name.endsWith('_URLS')) {
          if (e.value === undefined) continue;
          for (const url of e.value.split(',').map((u) => new URL(u))) {
            expect(servicePorts.get(url.hostname), `${service} ${e.name}`).toBe(Number(url.port));
          }
        }
        if (e.name === 'AMQP_URL') expect(e.valueFrom?.secretKeyRef?.name).toBe(`chat-amqp-${service}`);
      }
    }
  });
});
