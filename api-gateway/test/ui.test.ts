import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STATIC_DIR } from '../src/config.js';
import { rawGet, startGateway, type RunningGateway } from './harness.js';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script></head><body><div id="root"></div></body></html>';

let dir: string;
let withUi: RunningGateway;
let withoutUi: RunningGateway;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-ui-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), INDEX);
  await writeFile(path.join(dir, 'assets', 'app-1a2b3c.js'), 'console.log("app")');
  await writeFile(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  withUi = await startGateway({ staticDir: dir });
  withoutUi = await startGateway({ staticDir: path.join(dir, 'missing') });
});
afterAll(async () => {
  await Promise.all([withUi?.close(), withoutUi?.close()]);
  await rm(dir, { recursive: true, force: true });
});

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the UI from STATIC_DIR', () => {
  it('serves index.html at / with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${withUi.url}/`, { headers: html });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(INDEX);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    // 'self' covers ws:/wss: to this origin (CSP Level 3); no other host may be connected to.
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toMatch(/\b(ws|wss):(\s|;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    // Attachments are shown as object URLs of bytes fetched with the token.
    expect(csp).toContain("img-src 'self' data: blob:;");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    // `/` is the app whatever the client accepts (curl, health probes of the origin).
    const plain = await fetch(`${withUi.url}/`);
    expect(plain.status).toBe(200);
    expect(await plain.text()).toBe(INDEX);
  });

  it('falls back to index.html for client-side routes that ask for HTML', async () => {
    for (const route of ['/rooms/general', '/dm/someone', '/login']) {
      const res = await fetch(`${withUi.url}${route}`, { headers: html });
      expect(res.status, route).toBe(200);
      expect(await res.text()).toBe(INDEX);
    }
  });

  it('serves assets as files, hashed ones cached for good', async () => {
    const asset = await fetch(`${withUi.url}/assets/app-1a2b3c.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toBe('console.log("app")');
    const icon = await fetch(`${withUi.url}/favicon.svg`);
    expect(icon.headers.get('content-type')).toMatch(/svg/);
    await icon.body?.cancel();
  });

  it('answers JSON 404, not the page, to requests that do not want HTML or are not GET', async () => {
    const missingAsset = await fetch(`${withUi.url}/assets/missing.js`);
    expect(missingAsset.status).toBe(404);
    expect(await missingAsset.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const post = await fetch(`${withUi.url}/rooms/general`, { method: 'POST', headers: html });
    expect(post.status).toBe(404);
    expect(post.headers.get('content-type')).toMatch(/json/);
    await post.body?.cancel();
  });

  it('never serves files outside STATIC_DIR', async () => {
    for (const p of ['/../../../../etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd']) {
      const res = await rawGet(withUi.url, p);
      expect(res.status, p).toBeGreaterThanOrEqual(400);
      expect(res.text, p).not.toContain('root:');
    }
  });
});

describe('before the UI is built', () => {
  it('serves a placeholder page for HTML requests, with the same headers', async () => {
    for (const route of ['/', '/rooms/general']) {
      const res = await fetch(`${withoutUi.url}${route}`, { headers: html });
      expect(res.status, route).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toContain('not built yet');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
  });

  it('STATIC_DIR defaults to client-ui/dist of this repository', () => {
    expect(DEFAULT_STATIC_DIR).toBe(path.resolve(import.meta.dirname, '../../client-ui/dist'));
  });
});
