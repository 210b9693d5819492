/**
 * hadolint (a Haskell binary) is not published to the npm registry, so the Dockerfiles are
 * linted with dockerfile-utils (the VS Code Docker extension's linter) plus this checklist:
 * multi-stage with dev dependencies only in the build, production dependencies from `npm ci
 * --omit=dev`, a pinned small base image, a non-root USER, a HEALTHCHECK on /health, node as
 * PID 1 in exec form, no secret in ENV/ARG, and ports matching each service's config.
 */
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_STATIC_DIR } from '../../api-gateway/src/config.js';
import { NODE_SERVICES, readRepoFile, ROOT, serviceConfigSchema, type NodeService } from './repo.js';

interface Stage {
  name: string;
  base: string;
  steps: { keyword: string; args: string }[];
}

function stagesOf(text: string): { args: Map<string, string>; stages: Stage[] } {
  const dockerfile = DockerfileParser.parse(text);
  const args = new Map(
    dockerfile.getInitialARGs().map((a) => [a.getProperty()!.getName(), a.getProperty()!.getValue() ?? '']),
  );
  const stages: Stage[] = [];
  for (const i of dockerfile.getInstructions() as Instruction[]) {
    const keyword = i.getKeyword();
    // Flags included (`--from=deps …`), line continuations joined.
    const argsText = i.toString().slice(i.getInstruction().length).trim();
    if (keyword === 'FROM') {
      const [base, , name] = argsText.split(/\s+/);
      stages.push({ name: name ?? '', base: base!, steps: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.steps.push({ keyword, args: argsText });
    }
  }
  return { args, stages };
}

const services = Object.keys(NODE_SERVICES) as NodeService[];
const workspaces = (JSON.parse(readRepoFile('package.json')) as { workspaces: string[] }).workspaces;
const rootEngines = (JSON.parse(readRepoFile('package.json')) as { engines: { node: string } }).engines.node;

describe.each(services)('%s/Dockerfile', (service) => {
  const text = readRepoFile(`${service}/Dockerfile`);
  const { args, stages } = stagesOf(text);
  const stage = (name: string) => stages.find((s) => s.name === name)!;
  const runs = (s: Stage) => s.steps.filter((x) => x.keyword === 'RUN').map((x) => x.args);
  const runtime = stages.at(-1)!;
  const step = (keyword: string) => runtime.steps.filter((x) => x.keyword === keyword).map((x) => x.args);

  it('lints clean (dockerfile-utils)', () => {
    expect(lintDockerfile(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('builds in stages: every dependency to compile, production dependencies to run', () => {
    expect(stages.map((s) => s.name)).toEqual(['manifests', 'build', 'deps', 'runtime']);
    const build = runs(stage('build')).join('\n');
    expect(build).toMatch(/^npm ci\b(?!.*--omit=dev)/m);
    expect(build).toContain(`npm run build -w packages/contracts -w packages/service-kit -w ${service}`);
    expect(runs(stage('deps'))).toEqual([`npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w ${service}`]);
    expect(text).not.toMatch(/npm (install|i) /);
    // The runtime stage installs nothing and takes node_modules only from the production install.
    expect(runs(runtime)).toEqual([]);
    expect(step('COPY').filter((c) => c.includes('node_modules'))).toEqual([
      '--from=deps /app/node_modules node_modules',
    ]);
    expect(step('COPY').filter((c) => /\bsrc\b/.test(c))).toEqual([]);
  });

  it("copies every workspace's package.json before npm ci (the lockfile covers them all)", () => {
    const copied = stage('manifests')
      .steps.filter((s) => s.keyword === 'COPY')
      .map((s) => s.args);
    for (const w of workspaces) expect(copied, w).toContain(`${w}/package.json ${w}/`);
  });

  it('starts from a pinned, small Node image that satisfies the engines field', () => {
    const image = args.get('NODE_IMAGE')!;
    const m = /^node:(\d+)\.(\d+)\.(\d+)-(alpine|[a-z]+-slim)[0-9.]*$/.exec(image);
    expect(m, image).not.toBeNull();
    const [min, minMinor] = /^>=(\d+)\.(\d+)/.exec(rootEngines)!.slice(1).map(Number) as [number, number];
    expect(Number(m![1]) > min || (Number(m![1]) === min && Number(m![2]) >= minMinor)).toBe(true);
    for (const s of stages) expect(['${NODE_IMAGE}', ...stages.map((x) => x.name)]).toContain(s.base);
    // One base for every service.
    expect(image).toBe(stagesOf(readRepoFile('user-service/Dockerfile')).args.get('NODE_IMAGE'));
  });

  it('runs as the unprivileged node user, with node as PID 1 in exec form', () => {
    expect(step('USER')).toEqual(['node']);
    const userAt = runtime.steps.findIndex((s) => s.keyword === 'USER');
    const cmdAt = runtime.steps.findIndex((s) => s.keyword === 'CMD');
    expect(userAt).toBeLessThan(cmdAt);
    expect(step('ENTRYPOINT')).toEqual([]);
    const main = (JSON.parse(readRepoFile(`${service}/package.json`)) as { main: string }).main;
    expect(JSON.parse(step('CMD')[0]!)).toEqual(['node', '--enable-source-maps', `${service}/${main}`]);
    expect(step('STOPSIGNAL')).toEqual(['SIGTERM']);
  });

  it("has a HEALTHCHECK that fetches /health with node's fetch", () => {
    expect(step('HEALTHCHECK')).toHaveLength(1);
    expect(step('HEALTHCHECK')[0]).toMatch(/CMD \["node", "\/app\/healthcheck\.mjs", "\/health"\]$/);
    expect(step('COPY')).toContain('deploy/docker/healthcheck.mjs ./');
    expect(step('WORKDIR')).toEqual(['/app']);
  });

  it('bakes in no secret', () => {
    const declared = [...args.keys(), ...stages.flatMap((s) => s.steps.filter((x) => /^(ENV|ARG)$/.test(x.keyword)))]
      .map((x) => (typeof x === 'string' ? x : x.args))
      .join(' ');
    expect(declared).not.toMatch(/PASSWORD|SECRET|PRIVATE|TOKEN|JWT|_KEY\b/);
    expect(text).not.toMatch(/COPY[^\n]*\.env/);
  });

  it("exposes and defaults PORT to the port in the service's config", async () => {
    const schema = await serviceConfigSchema(service);
    const port = z.object({ PORT: schema.shape.PORT! }).parse({}).PORT;
    expect(port).toBe(NODE_SERVICES[service]);
    expect(step('EXPOSE')).toEqual([String(port)]);
    expect(step('ENV').join(' ')).toMatch(new RegExp(`\\bPORT=${port}\\b`));
  });
});

describe('api-gateway/Dockerfile and the UI', () => {
  it("bundles client-ui into the place the gateway's STATIC_DIR default serves", () => {
    const { stages } = stagesOf(readRepoFile('api-gateway/Dockerfile'));
    const build = stages.find((s) => s.name === 'build')!;
    expect(build.steps.map((s) => s.args)).toContain(
      'npm run build -w packages/contracts -w packages/service-kit -w api-gateway -w client-ui',
    );
    expect(path.relative(ROOT, DEFAULT_STATIC_DIR)).toBe('client-ui/dist');
    expect(stages.at(-1)!.steps.map((s) => s.args)).toContain('--from=build /app/client-ui/dist client-ui/dist');
  });
});

describe('.dockerignore', () => {
  const patterns = readRepoFile('.dockerignore')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));

  it('keeps local state, secrets and build output out of the build context', () => {
    for (const p of ['**/node_modules', '**/dist', '.git', '.env', '.env.*', '.services']) {
      expect(patterns).toContain(p);
    }
  });

  it('still sends the health probe the images copy', () => {
    expect(patterns.indexOf('!deploy/docker')).toBeGreaterThan(patterns.indexOf('deploy/*'));
  });
});
